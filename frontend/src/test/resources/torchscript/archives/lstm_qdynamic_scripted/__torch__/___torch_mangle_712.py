class LSTMModel(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  lstm : __torch__.torch.ao.nn.quantized.dynamic.modules.rnn.LSTM
  fc : __torch__.torch.ao.nn.quantized.dynamic.modules.linear.___torch_mangle_711.Linear
  def forward(self: __torch__.___torch_mangle_712.LSTMModel,
    x: Tensor) -> Tensor:
    lstm = self.lstm
    out, _0, = (lstm).forward_tensor(x, None, )
    fc = self.fc
    _1 = torch.select(torch.slice(out), 1, -1)
    return (fc).forward(torch.slice(_1, 1), )
