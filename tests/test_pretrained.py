"""The course's pretrained model: it ships in the package, loads on a CPU, reaches the validation loss
recorded with it, and loads into the GPT that students build in the gpt assignment."""
import pytest
import torch

from llmcourse import pretrained
from llmcourse.pretrained import CharTokenizer, GPT, assignment_state_dict, load_pretrained, pretrained_info, \
    pretrained_state_dict
from tests.conftest import REPO, SHARED_DATA, load_script

CHECKPOINT = REPO / "llmcourse" / "checkpoints" / "shakespeare-char.pt"
needs_shared = pytest.mark.skipif(not (SHARED_DATA / "tinyshakespeare.txt").exists(),
                                  reason="../shared/data/tinyshakespeare.txt is absent")


def training_script():
    return load_script("scripts/train_shakespeare_char.py")


def test_checkpoint_is_small_and_records_what_it_is():
    assert CHECKPOINT.stat().st_size <= 5 * 1024 * 1024
    info = pretrained_info("shakespeare-char")
    assert set(info["config"]) == {"vocab_size", "block_size", "n_layer", "n_head", "d_model", "tie_weights"}
    assert {"seed", "steps", "lr", "batch_size"} <= set(info["train"])
    assert 0 < info["val_loss"] < 2.0 and 0 < info["val_check"]["loss"] < 2.0


def test_loads_on_cpu_in_eval_mode_with_its_tokenizer():
    model, tokenizer = load_pretrained("shakespeare-char")
    assert isinstance(model, GPT) and isinstance(tokenizer, CharTokenizer)
    assert not model.training
    assert {p.device.type for p in model.parameters()} == {"cpu"}
    assert model.head is None and model.output_weight() is model.embed.weight   # tied
    assert tokenizer.vocab_size == model.config.vocab_size == 65
    assert tokenizer.decode(tokenizer.encode("ROMEO:\nO, she doth teach!")) == "ROMEO:\nO, she doth teach!"
    with pytest.raises(ValueError, match="vocabulary"):
        tokenizer.encode("\u00e9")
    with pytest.raises(ValueError, match="shakespeare-char"):
        load_pretrained("no-such-model")
    logits, loss = model(torch.tensor([tokenizer.encode("ROMEO:")]))
    assert logits.shape == (1, 6, 65) and loss is None


@needs_shared
def test_reaches_its_recorded_validation_loss():
    script = training_script()
    model, tokenizer = load_pretrained("shakespeare-char")
    info = pretrained_info("shakespeare-char")
    _, val = script.splits(script.load_tiny_shakespeare(), tokenizer)
    check = info["val_check"]
    x, y = script.check_windows(val, check["block_size"], check["windows"])
    loss = script.mean_loss(model, x, y)
    assert loss == pytest.approx(check["loss"], abs=2e-3), f"the checkpoint scores {loss:.4f}, recorded {check['loss']:.4f}"


@needs_shared
def test_loads_into_the_assignments_gpt():
    """Students can load the checkpoint into their own GPT: same parameter names, same outputs."""
    namespace = load_script("benchmarks/solution_cells.py").solution_namespace(
        "gpt", ["setup", "given_model", "layernorm", "block", "gpt"])
    model, tokenizer = load_pretrained("shakespeare-char")
    theirs = namespace["GPT"](namespace["GPTConfig"](**pretrained_info("shakespeare-char")["config"]))
    theirs.load_state_dict(pretrained_state_dict("shakespeare-char"))
    assert theirs.lm_head.weight is theirs.token_embedding.weight
    for name, tensor in assignment_state_dict(model).items():
        torch.testing.assert_close(tensor, theirs.state_dict()[name], rtol=0, atol=0)
    idx = torch.tensor([tokenizer.encode("First Citizen:\nBefore we proceed")])
    with torch.no_grad():
        torch.testing.assert_close(theirs(idx)[0], model(idx)[0], atol=1e-4, rtol=1e-4)


def test_the_package_holds_no_exercise_solutions():
    """Students can import llmcourse: the exercises of the gpt assignment must not be in it."""
    for name in ("LayerNorm", "RMSNorm", "get_batch", "estimate_loss", "generate", "top_k_filter", "top_p_filter"):
        assert not hasattr(pretrained, name), f"llmcourse.pretrained defines {name}, an exercise of the gpt assignment"
