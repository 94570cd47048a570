"""Wrong versions of the rlhf assignment that the hidden tests must catch."""
from tests.studentwork import Mutant

MUTANTS = {
    # --- the catalogue, the most telling first ---
    "dpo_without_reference": Mutant(
        [("chosen_logratio = policy_chosen_logps - ref_chosen_logps", "chosen_logratio = policy_chosen_logps"),
         ("rejected_logratio = policy_rejected_logps - ref_rejected_logps", "rejected_logratio = policy_rejected_logps")],
        loses=["test_dpo_loss"], why="nothing then holds the policy near the reference"),
    "preference_loss_sign_flipped": Mutant(
        [("return -F.logsigmoid(r_chosen - r_rejected).mean()", "return -F.logsigmoid(r_rejected - r_chosen).mean()")],
        loses=["test_preference_loss"], why="trains the reward model to prefer the rejected response"),
    "preference_loss_log_of_sigmoid": Mutant(
        [("return -F.logsigmoid(r_chosen - r_rejected).mean()",
          "return -torch.log(torch.sigmoid(r_chosen - r_rejected)).mean()")],
        loses=["test_preference_loss"], why="sigmoid rounds to 0 for a margin of -200 in float32: the loss is inf"),
    "reward_at_padded_last_position": Mutant(
        [("last = h[torch.arange(h.shape[0], device=h.device), lengths - 1]", "last = h[:, -1]")],
        loses=["test_reward_model"], why="for every row but the longest, that position is padding"),
    "reward_at_position_zero": Mutant(
        [("last = h[torch.arange(h.shape[0], device=h.device), lengths - 1]", "last = h[:, 0]")],
        loses=["test_reward_model"], why="position 0 has read one character"),
    "logprob_counts_prompt": Mutant(
        [("mask = response_mask[:, 1:].to(token_logp.dtype)", "mask = torch.ones_like(token_logp)")],
        loses=["test_sequence_logprob"], why="the prompt (and padding) is not the model's response"),
    "logprob_off_by_one": Mutant(
        [("logp = torch.log_softmax(logits[:, :-1], dim=-1)", "logp = torch.log_softmax(logits[:, 1:], dim=-1)")],
        loses=["test_sequence_logprob"], why="each character is scored by its own position's logits, which have already read it"),
    "logprob_averaged": Mutant(
        [("return (token_logp * mask).sum(dim=1)", "return (token_logp * mask).sum(dim=1) / mask.sum(dim=1)")],
        loses=["test_sequence_logprob"], why="log p(y | x) is a sum over the response's characters"),
    "dpo_beta_outside_sigmoid": Mutant(
        [("loss = -F.logsigmoid(beta * (chosen_logratio - rejected_logratio)).mean()",
          "loss = -beta * F.logsigmoid(chosen_logratio - rejected_logratio).mean()")],
        loses=["test_dpo_loss"], why="beta then scales the step size, not how far the policy may move"),
    "dpo_rewards_not_detached": Mutant(
        [("chosen_rewards = (beta * chosen_logratio).detach()", "chosen_rewards = beta * chosen_logratio"),
         ("rejected_rewards = (beta * rejected_logratio).detach()", "rejected_rewards = beta * rejected_logratio")],
        loses=["test_dpo_loss"]),
    "best_of_n_lowest": Mutant(
        [("if rewards[i] > rewards[best]:", "if rewards[i] < rewards[best]:")],
        loses=["test_best_of_n"]),
}

# More plausible mistakes, caught too.
EXTRA_MUTANTS = {
    "dpo_loss_of_detached_rewards": Mutant(
        [("loss = -F.logsigmoid(beta * (chosen_logratio - rejected_logratio)).mean()",
          "loss = -F.logsigmoid((beta * (chosen_logratio - rejected_logratio)).detach()).mean()")],
        loses=["test_dpo_loss"], why="a loss with no gradient trains nothing"),
    "best_of_n_last_on_tie": Mutant(
        [("if rewards[i] > rewards[best]:", "if rewards[i] >= rewards[best]:")],
        loses=["test_best_of_n"]),
    "reward_not_squeezed": Mutant(
        [("return self.head(last).squeeze(-1)", "return self.head(last)")],
        loses=["test_reward_model"], why="the rewards must be (batch,), not (batch, 1)"),
}
