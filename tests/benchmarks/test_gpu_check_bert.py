"""gpu_check's BERT-base fine-tuning section (issue #17) runs its code on the CPU: in a dry run and through
``--only bert --bert-size tiny``, which times the tiny BERT on a machine without CUDA."""
import pytest

from benchmarks import gpu_check

pytest.importorskip("torch")


def test_bert_section_dry_run_uses_the_tiny_bert_and_the_attention_probe():
    s = gpu_check.Settings("cpu", True, warmup=1, phase_s=0.0, min_steps=1, max_steps=1, rounds=1, sync_steps=0,
                           engine_steps=0, precision_steps=(0, 0), deadline=float("inf"))
    (row,) = gpu_check.measure_bert(s, "base")            # a dry run never builds BERT-base
    assert row.section == "bert" and row.verdict == "dry" and row.details["size"] == "tiny"
    assert row.details["snapshots"] >= 1 and row.details["flushes"] >= 1 and not row.details["amp"]
    assert "T 256" in row.item


def test_cli_bert_tiny_times_it_on_the_cpu(capsys, monkeypatch):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    monkeypatch.setattr(gpu_check, "BERT_BATCH", 2)
    assert gpu_check.main(["--only", "bert", "--bert-size", "tiny", "--budget-s", "60"]) == 0
    out = capsys.readouterr().out
    assert "(e) bert on cpu: BERT-tiny" in out and "steps/s" in out
    assert "\nbert " in out[out.index("\nSummary"):]
