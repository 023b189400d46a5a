class LSTMModel(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  lstm : __torch__.torch.nn.modules.rnn.LSTM
  fc : __torch__.torch.nn.modules.linear.___torch_mangle_670.Linear
  def forward(self: __torch__.LSTMModel,
    x: Tensor) -> Tensor:
    lstm = self.lstm
    out, _0, = (lstm).forward__0(x, None, )
    fc = self.fc
    _1 = torch.select(torch.slice(out), 1, -1)
    return (fc).forward(torch.slice(_1, 1), )
