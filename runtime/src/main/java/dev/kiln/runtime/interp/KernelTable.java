package dev.kiln.runtime.interp;

import static dev.kiln.runtime.interp.Kernel.single;

import java.util.Map;
import java.util.Set;

/**
 * The one table binding reference kernels to ops, keyed by op name; kernels live in one file per op family.
 * Constants and control flow ({@link #INTERPRETER_OPS}) are run by the {@link Interpreter} itself.
 */
public final class KernelTable {
  private KernelTable() {}

  /** Ops the interpreter runs itself because they hold blocks, end blocks, read weights or raise. */
  public static final Set<String> INTERPRETER_OPS = Set.of("const", "return", "yield", "if", "loop", "raise", "assert", "fused");

  private static final Map<String, Kernel> KERNELS = Map.ofEntries(
      // prim: scalars, sizes, lists, tuples
      Map.entry("prim.add", single(PrimKernels::add)),
      Map.entry("prim.sub", single(PrimKernels::sub)),
      Map.entry("prim.mul", single(PrimKernels::mul)),
      Map.entry("prim.div", single(PrimKernels::div)),
      Map.entry("prim.floordiv", single(PrimKernels::floordiv)),
      Map.entry("prim.mod", single(PrimKernels::mod)),
      Map.entry("prim.pow", single(PrimKernels::pow)),
      Map.entry("prim.min", single(PrimKernels::min)),
      Map.entry("prim.max", single(PrimKernels::max)),
      Map.entry("prim.neg", single(PrimKernels::neg)),
      Map.entry("prim.eq", single(PrimKernels::eq)),
      Map.entry("prim.ne", single(PrimKernels::ne)),
      Map.entry("prim.lt", single(PrimKernels::lt)),
      Map.entry("prim.le", single(PrimKernels::le)),
      Map.entry("prim.gt", single(PrimKernels::gt)),
      Map.entry("prim.ge", single(PrimKernels::ge)),
      Map.entry("prim.not", single(PrimKernels::not)),
      Map.entry("prim.and", single(PrimKernels::and)),
      Map.entry("prim.or", single(PrimKernels::or)),
      Map.entry("prim.is_none", single(PrimKernels::isNone)),
      Map.entry("prim.int", single(PrimKernels::toInt)),
      Map.entry("prim.float", single(PrimKernels::toFloat)),
      Map.entry("prim.bool", single(PrimKernels::toBool)),
      Map.entry("prim.size", single(PrimKernels::size)),
      Map.entry("prim.shape", single(PrimKernels::shape)),
      Map.entry("prim.rank", single(PrimKernels::rank)),
      Map.entry("prim.numel", single(PrimKernels::numel)),
      Map.entry("prim.to_tensor", single(PrimKernels::toTensor)),
      Map.entry("prim.item", single(PrimKernels::item)),
      Map.entry("prim.list", single(PrimKernels::list)),
      Map.entry("prim.tuple", single(PrimKernels::tuple)),
      Map.entry("prim.tuple_get", single(PrimKernels::tupleGet)),
      Map.entry("prim.unpack", PrimKernels::unpack),
      Map.entry("prim.list_get", single(PrimKernels::listGet)),
      Map.entry("prim.list_unpack", PrimKernels::listUnpack),
      Map.entry("prim.len", single(PrimKernels::len)),
      Map.entry("prim.unwrap", single(PrimKernels::unwrap)),
      // elementwise: binary, compare, select, cast
      Map.entry("nn.add", single(ElementwiseKernels::add)),
      Map.entry("nn.sub", single(ElementwiseKernels::sub)),
      Map.entry("nn.mul", single(ElementwiseKernels::mul)),
      Map.entry("nn.div", single(ElementwiseKernels::div)),
      Map.entry("nn.pow", single(ElementwiseKernels::pow)),
      Map.entry("nn.maximum", single(ElementwiseKernels::maximum)),
      Map.entry("nn.minimum", single(ElementwiseKernels::minimum)),
      Map.entry("nn.eq", single(ElementwiseKernels::eq)),
      Map.entry("nn.ne", single(ElementwiseKernels::ne)),
      Map.entry("nn.lt", single(ElementwiseKernels::lt)),
      Map.entry("nn.le", single(ElementwiseKernels::le)),
      Map.entry("nn.gt", single(ElementwiseKernels::gt)),
      Map.entry("nn.ge", single(ElementwiseKernels::ge)),
      Map.entry("nn.where", single(ElementwiseKernels::where)),
      Map.entry("nn.masked_fill", single(ElementwiseKernels::maskedFill)),
      Map.entry("nn.to", single(ElementwiseKernels::to)),
      // elementwise: unary
      Map.entry("nn.relu", single(ActivationKernels::relu)),
      Map.entry("nn.hardtanh", single(ActivationKernels::hardtanh)),
      Map.entry("nn.clamp", single(ActivationKernels::clamp)),
      Map.entry("nn.leaky_relu", single(ActivationKernels::leakyRelu)),
      Map.entry("nn.gelu", single(ActivationKernels::gelu)),
      Map.entry("nn.silu", single(ActivationKernels::silu)),
      Map.entry("nn.sigmoid", single(ActivationKernels::sigmoid)),
      Map.entry("nn.hardsigmoid", single(ActivationKernels::hardsigmoid)),
      Map.entry("nn.hardswish", single(ActivationKernels::hardswish)),
      Map.entry("nn.tanh", single(ActivationKernels::tanh)),
      Map.entry("nn.exp", single(ActivationKernels::exp)),
      Map.entry("nn.log", single(ActivationKernels::log)),
      Map.entry("nn.sqrt", single(ActivationKernels::sqrt)),
      Map.entry("nn.rsqrt", single(ActivationKernels::rsqrt)),
      Map.entry("nn.erf", single(ActivationKernels::erf)),
      Map.entry("nn.neg", single(ActivationKernels::neg)),
      Map.entry("nn.abs", single(ActivationKernels::abs)),
      Map.entry("nn.logical_not", single(ActivationKernels::logicalNot)),
      Map.entry("nn.dropout", single(ActivationKernels::dropout)),
      // shape and movement
      Map.entry("nn.reshape", single(ShapeKernels::reshape)),
      Map.entry("nn.flatten", single(ShapeKernels::flatten)),
      Map.entry("nn.permute", single(ShapeKernels::permute)),
      Map.entry("nn.transpose", single(ShapeKernels::transpose)),
      Map.entry("nn.contiguous", single(ShapeKernels::contiguous)),
      Map.entry("nn.cat", single(ShapeKernels::cat)),
      Map.entry("nn.stack", single(ShapeKernels::stack)),
      Map.entry("nn.chunk", ShapeKernels::chunk),
      Map.entry("nn.split", ShapeKernels::split),
      Map.entry("nn.slice", single(ShapeKernels::slice)),
      Map.entry("nn.select", single(ShapeKernels::select)),
      Map.entry("nn.index_select", single(ShapeKernels::indexSelect)),
      Map.entry("nn.index", single(ShapeKernels::index)),
      Map.entry("nn.unsqueeze", single(ShapeKernels::unsqueeze)),
      Map.entry("nn.squeeze", single(ShapeKernels::squeeze)),
      Map.entry("nn.expand", single(ShapeKernels::expand)),
      Map.entry("nn.full", single(ShapeKernels::full)),
      // linear algebra
      Map.entry("nn.linear", single(LinalgKernels::linear)),
      Map.entry("nn.matmul", single(LinalgKernels::matmul)),
      Map.entry("nn.mm", single(LinalgKernels::mm)),
      Map.entry("nn.bmm", single(LinalgKernels::bmm)),
      Map.entry("nn.addmm", single(LinalgKernels::addmm)),
      Map.entry("nn.baddbmm", single(LinalgKernels::baddbmm)),
      // layers
      Map.entry("nn.conv2d", single(ConvKernels::conv2d)),
      Map.entry("nn.batch_norm", single(NnKernels::batchNorm)),
      Map.entry("nn.layer_norm", single(NnKernels::layerNorm)),
      Map.entry("nn.softmax", single(NnKernels::softmax)),
      Map.entry("nn.log_softmax", single(NnKernels::logSoftmax)),
      Map.entry("nn.max_pool2d", single(PoolKernels::maxPool2d)),
      Map.entry("nn.avg_pool2d", single(PoolKernels::avgPool2d)),
      Map.entry("nn.adaptive_avg_pool2d", single(PoolKernels::adaptiveAvgPool2d)),
      Map.entry("nn.embedding", single(NnKernels::embedding)),
      // reductions
      Map.entry("nn.mean", single(ReduceKernels::mean)),
      Map.entry("nn.sum", single(ReduceKernels::sum)),
      Map.entry("nn.amax", single(ReduceKernels::amax)),
      Map.entry("nn.argmax", single(ReduceKernels::argmax)),
      // sequence models
      Map.entry("nn.lstm", SequenceKernels::lstm),
      Map.entry("nn.attention", single(SequenceKernels::attention)),
      // inserted by passes
      Map.entry("nn.to_layout", single(FusedKernels::toLayout)),
      // quantization
      Map.entry("q.quantize_per_tensor", single(QuantKernels::quantizeOp)),
      Map.entry("q.quantize_per_channel", single(QuantKernels::quantizeOp)),
      Map.entry("q.dequantize", single(QuantKernels::dequantizeOp)),
      Map.entry("q.requantize", single(QuantKernels::requantizeOp)),
      Map.entry("q.int_repr", single(QuantKernels::intRepr)),
      Map.entry("q.linear_dynamic", single(QuantKernels::linearDynamic)),
      Map.entry("q.linear", single(QuantNnKernels::linear)),
      Map.entry("q.linear_relu", single(QuantNnKernels::linearRelu)),
      Map.entry("q.conv2d", single(QuantNnKernels::conv2d)),
      Map.entry("q.conv2d_relu", single(QuantNnKernels::conv2dRelu)),
      Map.entry("q.matmul", single(QuantNnKernels::matmul)),
      Map.entry("q.relu", single(QuantNnKernels::relu)),
      Map.entry("q.add", single(QuantPoolKernels::add)),
      Map.entry("q.add_relu", single(QuantPoolKernels::addRelu)),
      Map.entry("q.max_pool2d", single(QuantPoolKernels::maxPool2d)),
      Map.entry("q.adaptive_avg_pool2d", single(QuantPoolKernels::adaptiveAvgPool2d)));

  /** The kernel for {@code op}, or null (also null for the ops in {@link #INTERPRETER_OPS}). */
  public static Kernel find(String op) { return KERNELS.get(op); }

  public static boolean handledByInterpreter(String op) { return INTERPRETER_OPS.contains(op); }

  /** Every op name with a kernel. */
  public static Set<String> names() { return KERNELS.keySet(); }
}
