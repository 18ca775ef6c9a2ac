"""Bad inputs of from_module that were accepted silently (review of issue 14)."""
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from skexplain.recurrent import HiddenStates  # noqa: E402


@pytest.mark.parametrize("flag", ["no", 0, None, "False"])
def test_batch_first_must_be_a_bool(flag):
    # before: any truthy value ("no", "False") was taken as True, falsy ones as False
    with pytest.raises(TypeError, match=r"batch_first must be True or False; got "):
        HiddenStates.from_module(nn.LSTM(3, 4, batch_first=True), torch.randn(2, 5, 3),
                                 batch_first=flag)


def test_from_module_refuses_bytes_tokens():
    # before: the tokens were the byte values ['104', '105', ...]
    with pytest.raises(TypeError, match=r"tokens must be a str or a sequence of 10 tokens; "
                                        r"got bytes \(decode it first"):
        HiddenStates.from_module(nn.GRU(3, 4, batch_first=True), torch.randn(2, 5, 3),
                                 tokens=b"hello world"[:10])
