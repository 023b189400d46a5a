class PackedParameter(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  param : __torch__.torch.classes.rnn.CellParamsBase
