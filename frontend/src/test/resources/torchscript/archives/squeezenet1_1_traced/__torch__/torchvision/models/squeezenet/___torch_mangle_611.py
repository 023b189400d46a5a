class SqueezeNet(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  features : __torch__.torch.nn.modules.container.___torch_mangle_605.Sequential
  classifier : __torch__.torch.nn.modules.container.___torch_mangle_610.Sequential
  def forward(self: __torch__.torchvision.models.squeezenet.___torch_mangle_611.SqueezeNet,
    x: Tensor) -> Tensor:
    classifier = self.classifier
    features = self.features
    _0 = (classifier).forward((features).forward(x, ), )
    return torch.flatten(_0, 1)
