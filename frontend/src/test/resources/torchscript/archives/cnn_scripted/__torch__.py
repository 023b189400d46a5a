class SmallCNN(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  conv1 : __torch__.torch.nn.modules.conv.___torch_mangle_653.Conv2d
  bn1 : __torch__.torch.nn.modules.batchnorm.___torch_mangle_654.BatchNorm2d
  conv2 : __torch__.torch.nn.modules.conv.___torch_mangle_655.Conv2d
  pool : __torch__.torch.nn.modules.pooling.___torch_mangle_656.AdaptiveAvgPool2d
  fc : __torch__.torch.nn.modules.linear.___torch_mangle_657.Linear
  def forward(self: __torch__.SmallCNN,
    x: Tensor) -> Tensor:
    bn1 = self.bn1
    conv1 = self.conv1
    _0 = (bn1).forward((conv1).forward(x, ), )
    x0 = torch.relu(_0)
    conv2 = self.conv2
    x1 = torch.relu((conv2).forward(x0, ))
    fc = self.fc
    pool = self.pool
    _1 = torch.flatten((pool).forward(x1, ), 1)
    return (fc).forward(_1, )
