class MLP(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  fc1 : __torch__.torch.ao.nn.quantized.dynamic.modules.linear.___torch_mangle_707.Linear
  fc2 : __torch__.torch.ao.nn.quantized.dynamic.modules.linear.___torch_mangle_709.Linear
  def forward(self: __torch__.___torch_mangle_710.MLP,
    x: Tensor) -> Tensor:
    fc2 = self.fc2
    fc1 = self.fc1
    _0 = (fc2).forward(torch.relu((fc1).forward(x, )), )
    return _0
