class MLP(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  fc1 : __torch__.torch.nn.modules.linear.___torch_mangle_645.Linear
  fc2 : __torch__.torch.nn.modules.linear.___torch_mangle_646.Linear
  def forward(self: __torch__.MLP,
    x: Tensor) -> Tensor:
    fc2 = self.fc2
    fc1 = self.fc1
    _0 = (fc2).forward(torch.relu((fc1).forward(x, )), )
    return _0
