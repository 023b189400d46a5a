class LSTMModel(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  lstm : __torch__.torch.nn.modules.rnn.___torch_mangle_671.LSTM
  fc : __torch__.torch.nn.modules.linear.___torch_mangle_672.Linear
  def forward(self: __torch__.___torch_mangle_673.LSTMModel,
    x: Tensor) -> Tensor:
    fc = self.fc
    lstm = self.lstm
    _0 = torch.slice((lstm).forward(x, ), 0, 0, 9223372036854775807)
    input = torch.slice(torch.select(_0, 1, -1), 1, 0, 9223372036854775807)
    return (fc).forward(input, )
