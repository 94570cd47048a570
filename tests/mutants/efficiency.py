"""Wrong versions of the efficiency assignment that the hidden tests must catch."""
from tests.studentwork import Mutant

MUTANTS = {
    # --- the catalogue, the most telling first ---
    "decoding_query_masked_as_position_zero": Mutant(
        [("visible = torch.ones(t_new, total, dtype=torch.bool, device=q.device).tril(diagonal=total - t_new)",
          "visible = torch.ones(t_new, total, dtype=torch.bool, device=q.device).tril()")],
        loses=["test_attention_with_cache", "test_generate_cached"],
        why="a single decoding query then sees only the first key, as if it sat at position 0"),
    "cache_writes_at_position_zero": Mutant(
        [("self.keys[:, :, self.length:end] = k_new", "self.keys[:, :, :t] = k_new"),
         ("self.values[:, :, self.length:end] = v_new", "self.values[:, :, :t] = v_new")],
        loses=["test_kv_cache", "test_generate_cached"], why="every step overwrites the prompt's first keys"),
    "decoding_positions_not_offset": Mutant(
        [("h = model.embed(new) + model.pos.weight[start:start + new.shape[1]]",
          "h = model.embed(new) + model.pos.weight[:new.shape[1]]")],
        loses=["test_generate_cached"], why="every new token is embedded as if it were at position 0"),
    "router_weights_softmax_over_all_experts": Mutant(
        [("weights = torch.softmax(top_logits, dim=-1)", "weights = probs.gather(-1, experts)")],
        loses=["test_router", "test_moe_layer"], why="the k chosen weights then do not sum to 1"),
    "balancing_loss_without_n_experts": Mutant(
        [("return n_experts * (f * P).sum()", "return (f * P).sum()")],
        loses=["test_load_balancing_loss"], why="the balanced loss is then 1 / E, not 1, and shrinks as E grows"),
    "balancing_loss_f_from_probabilities": Mutant(
        [("f = counts / experts.numel()", "f = probs.mean(dim=0)")],
        loses=["test_load_balancing_loss"], why="f must count the choices the router made, not its probabilities"),
    "capacity_over_all_experts": Mutant(
        [("capacity = math.ceil(self.capacity_factor * n_tokens * self.k / self.n_experts)",
          "capacity = math.ceil(self.capacity_factor * n_tokens * self.k)")],
        loses=["test_moe_layer"], why="the capacity of the whole layer given to each expert: nothing is ever dropped"),
    "dropped_token_branch_is_its_input": Mutant(
        [("        return out.reshape(x.shape), aux",
          "        dropped = (out == 0).all(dim=-1, keepdim=True)\n"
          "        out = torch.where(dropped, flat, out)\n"
          "        return out.reshape(x.shape), aux")],
        loses=["test_moe_layer"], why="the block adds the branch to its input: the token would be doubled, not passed through"),
    "latent_caches_keys_and_values": Mutant(
        [("        c = self.W_dkv(x)\n"
          "        if cache is not None:\n"
          "            cache.append(c)\n"
          "            c = torch.cat(cache, dim=1)\n"
          "        q = heads(self.W_q(x))\n"
          "        k = heads(self.W_uk(c))\n"
          "        v = heads(self.W_uv(c))\n",
          "        c = self.W_dkv(x)\n"
          "        q = heads(self.W_q(x))\n"
          "        k = heads(self.W_uk(c))\n"
          "        v = heads(self.W_uv(c))\n"
          "        if cache is not None:\n"
          "            cache.append((k, v))\n"
          "            k = torch.cat([kv[0] for kv in cache], dim=2)\n"
          "            v = torch.cat([kv[1] for kv in cache], dim=2)\n")],
        loses=["test_latent_attention"], why="right outputs, but the cache is as large as multi-head attention's"),
}

# More plausible mistakes, caught too.
EXTRA_MUTANTS = {
    "kv_cache_bytes_without_values": Mutant(
        [("return int(2 * n_layers * n_kv_heads", "return int(n_layers * n_kv_heads")],
        loses=["test_kv_cache_bytes"], why="the cache holds a value for every key"),
    "capacity_counter_shared_by_experts": Mutant(
        [("        out = torch.zeros_like(flat)\n", "        out = torch.zeros_like(flat)\n        kept = 0\n"),
         ("            token, slot = token[:capacity], slot[:capacity]\n",
          "            token, slot = token[:max(capacity - kept, 0)], slot[:max(capacity - kept, 0)]\n"
          "            kept += len(token)\n")],
        loses=["test_moe_layer"], why="one count for all experts: the first expert uses up every other's capacity"),
    "capacity_keeps_the_last_tokens": Mutant(
        [("token, slot = token[:capacity], slot[:capacity]", "token, slot = token[-capacity:], slot[-capacity:]")],
        loses=["test_moe_layer"], why="an overloaded expert takes its first tokens in token order"),
    "absorbed_scores_build_the_keys": Mutant(
        [("        if absorbed:\n", "        if False:\n")],
        loses=["test_latent_attention"], why="the point of absorbing is never to build the keys"),
    "latent_mask_not_offset": Mutant(
        [("tril(diagonal=total - T)", "tril()")],
        loses=["test_latent_attention"], why="with a cache the new queries sit at the last positions"),
    "cache_length_not_counted": Mutant(
        [("        self.length = end\n", "")],
        loses=["test_kv_cache", "test_generate_cached"], why="len(cache) must grow with every update"),
}
