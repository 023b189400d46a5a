class LSTMModel(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  lstm : __torch__.torch.ao.nn.quantized.dynamic.modules.rnn.___torch_mangle_716.LSTM
  fc : __torch__.torch.ao.nn.quantized.dynamic.modules.linear.___torch_mangle_718.Linear
  def forward(self: __torch__.___torch_mangle_719.LSTMModel,
    x: Tensor) -> Tensor:
    fc = self.fc
    lstm = self.lstm
    _0 = torch.slice((lstm).forward(x, ), 0, 0, 9223372036854775807)
    _1 = torch.slice(torch.select(_0, 1, -1), 1, 0, 9223372036854775807)
    return (fc).forward(_1, )
