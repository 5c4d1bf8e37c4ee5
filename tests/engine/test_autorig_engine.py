"""engine.autorig device handling: CUDA requested without a GPU runs on the CPU, said."""

import pytest

torch = pytest.importorskip("torch")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_request_without_gpu_falls_back_to_cpu_with_a_warning():
    from engine.autorig import resolve_device

    device, warnings = resolve_device("cuda")
    assert device == "cpu"
    assert len(warnings) == 1 and "CUDA" in warnings[0]
    assert resolve_device("cpu") == ("cpu", [])
