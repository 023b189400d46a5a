class LSTMModel(Module):
  __parameters__ = []
  __buffers__ = []
  def forward(self: __torch__.___torch_mangle_674.LSTMModel,
    x: Tensor) -> Tensor:
    _0 = "input must have {} dimensions, got {}"
    _1 = "input.size(-1) must be equal to input_size. Expected {}, got {}"
    _2 = "Expected hidden[0] size {}, got {}"
    _3 = "Expected hidden[1] size {}, got {}"
    self_lstm__flat_weights = [CONSTANTS.c0, CONSTANTS.c1, CONSTANTS.c2, CONSTANTS.c3, CONSTANTS.c4, CONSTANTS.c5, CONSTANTS.c6, CONSTANTS.c7]
    is_batched = torch.eq(torch.dim(x), 3)
    _4 = torch.__not__(is_batched)
    if _4:
      input = torch.unsqueeze(x, 0)
    else:
      input = x
    max_batch_size = torch.size(input, 0)
    _5 = ops.prim.dtype(input)
    _6 = ops.prim.device(input)
    h_zeros = torch.zeros([2, max_batch_size, 20], dtype=_5, layout=None, device=_6)
    _7 = torch.dim(input)
    if torch.ne(_7, 3):
      ops.prim.RaiseException(torch.format(_0, 3, _7), "builtins.RuntimeError")
    else:
      pass
    _8 = torch.size(input, -1)
    if torch.ne(10, _8):
      ops.prim.RaiseException(torch.format(_1, 10, _8), "builtins.RuntimeError")
    else:
      pass
    expected_hidden_size = (2, max_batch_size, 20)
    _9 = torch.size(h_zeros)
    _10 = [2, max_batch_size, 20]
    if torch.ne(_9, _10):
      _11 = torch.format(_2, expected_hidden_size, torch.list(_9))
      ops.prim.RaiseException(_11, "builtins.RuntimeError")
    else:
      pass
    _12 = torch.size(h_zeros)
    if torch.ne(_12, _10):
      _13 = torch.format(_3, expected_hidden_size, torch.list(_12))
      ops.prim.RaiseException(_13, "builtins.RuntimeError")
    else:
      pass
    _14, _15, _16 = torch.lstm(input, [h_zeros, h_zeros], self_lstm__flat_weights, True, 2, 0., False, False, True)
    if _4:
      output = torch.squeeze(_14, 0)
    else:
      output = _14
    _17 = torch.select(torch.slice(output), 1, -1)
    _18 = torch.linear(torch.slice(_17, 1), CONSTANTS.c8, CONSTANTS.c9)
    return _18
