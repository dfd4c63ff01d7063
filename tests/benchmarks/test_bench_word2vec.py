"""The word2vec benchmark reads a corpus file (ptb.train.txt) through the lessons' shared reader."""
import sys

from benchmarks import bench_word2vec


def test_the_benchmark_times_a_penn_treebank_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "ptb.train.txt"
    path.write_text(" the cat sat on the mat \n a dog ran to the <unk> \n" * 50)
    monkeypatch.setattr(sys, "argv", ["bench_word2vec", "--batches", "2", "--corpus", str(path)])
    bench_word2vec.main()
    out = capsys.readouterr().out
    assert f"corpus {path} (700 tokens, V = 11)" in out                 # 7 + 7 tokens a pair of lines, <eos> incl.
    assert "ms/batch" in out
