"""cpu_report: the crate's dispatch report as text and as a dict."""

import tropical_blas as tb


def test_cpu_report_text_and_dict_agree():
    report = tb.cpu_report()
    text, data = str(report), report.as_dict()
    assert "dispatch report" in text
    assert data["active"] in ("scalar", "avx2", "avx512")
    assert data["detected"] in ("scalar", "avx2", "avx512")
    assert isinstance(data["features"], dict)
    assert len(data["kernels"]) == 19
    row = data["kernels"]["MaxPlus<f32>"]
    assert set(row) == {"kernel", "isa", "mr", "nr"}
    assert row["kernel"] in text
    data["kernels"].clear()
    assert len(report.as_dict()["kernels"]) == 19  # as_dict returns a copy
    assert "CpuReport" in repr(report)
