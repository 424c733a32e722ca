"""cpu_report: the crate's dispatch report as text and as a dict."""

import tropical_blas as tb


def test_cpu_report_text_and_dict_agree():
    report = tb.cpu_report()
    text, data = str(report), report.as_dict()
    assert "dispatch report" in text
    levels = ("scalar", "avx2", "avx512", "avx512fp16")
    assert data["active"] in levels
    assert data["detected"] in levels
    assert isinstance(data["features"], dict)
    builtins = len(data["kernels"])
    assert builtins == 33  # every built-in (semiring, type) pair
    row = data["kernels"]["MaxPlus<f32>"]
    assert set(row) == {"kernel", "isa", "mr", "nr"}
    assert row["kernel"] in text
    # Float max-plus adds on the multiply-add units where the report says.
    assert isinstance(data["add_on_fma"], bool)
    assert row["kernel"].endswith("-fma") == (data["add_on_fma"] and data["active"] != "scalar")
    # The 8-byte and bool AVX-512 tiles are one vector wide where it says.
    assert isinstance(data["narrow_tiles"], bool)
    f64_tile = data["kernels"]["MaxMul<f64>"]
    if f64_tile["isa"] == "avx512":
        assert (f64_tile["mr"], f64_tile["nr"]) == ((16, 8) if data["narrow_tiles"] else (8, 16))
    else:
        assert not data["narrow_tiles"]
    data["kernels"].clear()
    assert len(report.as_dict()["kernels"]) == builtins  # as_dict returns a copy
    assert "CpuReport" in repr(report)
