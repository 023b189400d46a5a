class AdaptiveAvgPool2d(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  def forward(self: __torch__.torch.nn.modules.pooling.___torch_mangle_661.AdaptiveAvgPool2d,
    input: Tensor) -> Tensor:
    _0 = torch.adaptive_avg_pool2d(input, [1, 1])
    return _0
