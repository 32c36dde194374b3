"""tlcim.golden.errors: the error codes the device model, the hardware and the drivers share."""

from tlcim.golden.errors import DeviceError, ErrorCode


def test_device_error_codes_are_labels():
    error = DeviceError(ErrorCode.SET_EMPTY, "x")
    assert error.code.label == "set_empty"
