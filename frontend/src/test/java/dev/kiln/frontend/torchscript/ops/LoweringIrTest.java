package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.TestContext.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.Verifier;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Representative lowerings, checked on the printed IR. */
class LoweringIrTest {
  private static Type batched(long... rest) {
    List<Dim> dims = new java.util.ArrayList<>(List.of(Dim.sym("N")));
    for (long r : rest) dims.add(Dim.of(r));
    return Type.tensor(DType.F32, Shape.of(dims));
  }

  @Test
  void tracedConvBlockLowersToConvBatchNormReluPool() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", batched(3, 8, 8));
    Value w = cx.weight("conv.weight", DType.F32, 4, 3, 3, 3);
    Value y = (Value) cx.call("torch._convolution", x, w, null, list(1L, 1L), list(1L, 1L), list(1L, 1L), false, list(0L, 0L), 1L,
        false, false, true, true);
    Value g = cx.weight("bn.weight", DType.F32, 4), b = cx.weight("bn.bias", DType.F32, 4);
    Value m = cx.weight("bn.running_mean", DType.F32, 4), v = cx.weight("bn.running_var", DType.F32, 4);
    y = (Value) cx.call("torch.batch_norm", y, g, b, m, v, false, 0.1, 1e-5, true);
    y = (Value) cx.call("torch.relu_", y);
    y = (Value) cx.call("torch.max_pool2d", y, list(3L, 3L), list(2L, 2L), list(1L, 1L), list(1L, 1L), false);
    y = (Value) cx.call("torch.adaptive_avg_pool2d", y, list(1L, 1L));
    y = (Value) cx.call("torch.flatten", y, 1L);
    y = (Value) cx.call("torch.add", y, 1L, 2L);
    assertEquals("""
        graph @t(%x: f32[N,3,8,8]) -> (f32[N,4]) {
          %0 = const {name="conv.weight"} : f32[4,3,3,3]
          %1 = nn.conv2d(%x, %0) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=1} : f32[N,4,8,8]
          %2 = const {name="bn.weight"} : f32[4]
          %3 = const {name="bn.bias"} : f32[4]
          %4 = const {name="bn.running_mean"} : f32[4]
          %5 = const {name="bn.running_var"} : f32[4]
          %6 = nn.batch_norm(%1, %4, %5, %2, %3) {eps=1.0E-5} : f32[N,4,8,8]
          %7 = nn.relu(%6) : f32[N,4,8,8]
          %8 = nn.max_pool2d(%7) {kernel_size=[3,3], stride=[2,2], padding=[1,1], dilation=[1,1], ceil_mode=false} : f32[N,4,4,4]
          %9 = nn.adaptive_avg_pool2d(%8) {output_size=[1,1]} : f32[N,4,1,1]
          %10 = nn.flatten(%9) {start_dim=1, end_dim=-1} : f32[N,4]
          %11 = const {value=1} : int
          %12 = nn.add(%10, %11) {alpha=2} : f32[N,4]
          return(%12)
        }
        """, cx.printReturning(y));
    Verifier.verify(cx.graph);
  }

  @Test
  void scriptedConv2dTakesDefaultsAndIntStride() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", Type.tensor(DType.F32, 1, 3, 9, 9));
    Value y = (Value) cx.call("torch.conv2d", x, cx.weight("w", DType.F32, 6, 1, 3, 3), cx.weight("b", DType.F32, 6), 2L, 0L, 1L, 3L);
    assertEquals("f32[1,6,4,4]", y.type().text());
    Node n = y.definingNode();
    assertEquals("[2,2]", n.attr("stride").text());
    assertEquals(3, n.attrInt("groups"));
    assertEquals(3, n.numOperands());
  }

  @Test
  void encoderLayerFastPathDecomposes() {
    TestContext cx = new TestContext();
    Value src = cx.param("src", batched(5, 8));
    long[][] shapes = {{24, 8}, {24}, {8, 8}, {8}, {8}, {8}, {8}, {8}, {16, 8}, {16}, {8, 16}, {8}};
    Value[] w = new Value[shapes.length];
    for (int i = 0; i < w.length; i++) w[i] = cx.weight("w" + i, DType.F32, shapes[i]);
    Object out = cx.call("torch._transformer_encoder_layer_fwd", src, 8L, 2L, w[0], w[1], w[2], w[3], true, false, 1e-5,
        w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11]);
    String text = cx.printReturning((Value) out);
    String body = text.substring(text.indexOf("%12 = "));
    assertEquals("""
        %12 = nn.linear(%src, %0, %1) : f32[N,5,24]
          %13, %14, %15 = nn.chunk(%12) {chunks=3, dim=-1} : (f32[N,5,8], f32[N,5,8], f32[N,5,8])
          %16 = nn.reshape(%13) {shape=[-1,5,2,4]} : f32[N,5,2,4]
          %17 = nn.transpose(%16) {dim0=1, dim1=2} : f32[N,2,5,4]
          %18 = nn.reshape(%14) {shape=[-1,5,2,4]} : f32[N,5,2,4]
          %19 = nn.transpose(%18) {dim0=1, dim1=2} : f32[N,2,5,4]
          %20 = nn.reshape(%15) {shape=[-1,5,2,4]} : f32[N,5,2,4]
          %21 = nn.transpose(%20) {dim0=1, dim1=2} : f32[N,2,5,4]
          %22 = nn.attention(%17, %19, %21) : f32[N,2,5,4]
          %23 = nn.transpose(%22) {dim0=1, dim1=2} : f32[N,5,2,4]
          %24 = nn.reshape(%23) {shape=[-1,5,8]} : f32[N,5,8]
          %25 = nn.linear(%24, %2, %3) : f32[N,5,8]
          %26 = nn.add(%src, %25) : f32[N,5,8]
          %27 = nn.layer_norm(%26, %4, %5) {normalized_shape=[8], eps=1.0E-5} : f32[N,5,8]
          %28 = nn.linear(%27, %8, %9) : f32[N,5,16]
          %29 = nn.gelu(%28) : f32[N,5,16]
          %30 = nn.linear(%29, %10, %11) : f32[N,5,8]
          %31 = nn.add(%27, %30) : f32[N,5,8]
          %32 = nn.layer_norm(%31, %6, %7) {normalized_shape=[8], eps=1.0E-5} : f32[N,5,8]
          return(%32)
        }
        """, body);
    Verifier.verify(cx.graph);
  }

  @Test
  void encoderLayerNormFirstWithKeyPaddingMask() {
    TestContext cx = new TestContext();
    Value src = cx.param("src", Type.tensor(DType.F32, 2, 5, 8));
    Value mask = cx.param("pad", Type.tensor(DType.BOOL, 2, 5));
    long[][] shapes = {{24, 8}, {24}, {8, 8}, {8}, {8}, {8}, {8}, {8}, {16, 8}, {16}, {8, 16}, {8}};
    Value[] w = new Value[shapes.length];
    for (int i = 0; i < w.length; i++) w[i] = cx.weight("w" + i, DType.F32, shapes[i]);
    Value out = (Value) cx.call("torch._transformer_encoder_layer_fwd", src, 8L, 2L, w[0], w[1], w[2], w[3], false, true, 1e-5,
        w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], mask, 1L);
    String text = cx.printReturning(out);
    List<String> ops = cx.graph.allNodes().stream().map(n -> n.op().name()).filter(n -> !n.equals("const")).toList();
    assertEquals(List.of("nn.layer_norm", "nn.linear", "nn.chunk", "nn.reshape", "nn.transpose", "nn.reshape", "nn.transpose",
        "nn.reshape", "nn.transpose", "nn.unsqueeze", "nn.unsqueeze", "nn.logical_not", "nn.attention", "nn.transpose", "nn.reshape",
        "nn.linear", "nn.add", "nn.layer_norm", "nn.linear", "nn.relu", "nn.linear", "nn.add", "return"), ops);
    assertTrue(text.contains("nn.unsqueeze(%pad) {dim=1} : bool[2,1,5]"), text);
    Verifier.verify(cx.graph);
  }

  @Test
  void nativeMhaWithWeightsAveragesHeads() {
    TestContext cx = new TestContext();
    Value q = cx.param("q", Type.tensor(DType.F32, 2, 3, 8));
    Value kv = cx.param("kv", Type.tensor(DType.F32, 2, 4, 8));
    PyTuple out = (PyTuple) cx.call("torch._native_multi_head_attention", q, kv, kv, 8L, 2L, cx.weight("in_w", DType.F32, 24, 8),
        cx.weight("in_b", DType.F32, 24), cx.weight("out_w", DType.F32, 8, 8), cx.weight("out_b", DType.F32, 8), null, true, true, null);
    assertEquals("f32[2,3,8]", ((Value) out.get(0)).type().text());
    assertEquals("f32[2,3,4]", ((Value) out.get(1)).type().text());
    String text = cx.printReturning((Value) out.get(0), (Value) out.get(1));
    assertTrue(text.contains("nn.slice(%0) {dim=0, start=8, end=16, step=1} : f32[8,8]"), text);
    assertTrue(text.contains("nn.softmax"), text);
    Verifier.verify(cx.graph);
  }

  @Test
  void lstmKeepsOperandOrderAndReturnsTriple() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", Type.tensor(DType.F32, 2, 7, 10));
    Object h0 = cx.call("torch.zeros", list(2L, 2L, 20L));
    List<Object> weights = list(cx.weight("w_ih_l0", DType.F32, 80, 10), cx.weight("w_hh_l0", DType.F32, 80, 20),
        cx.weight("b_ih_l0", DType.F32, 80), cx.weight("b_hh_l0", DType.F32, 80), cx.weight("w_ih_l1", DType.F32, 80, 20),
        cx.weight("w_hh_l1", DType.F32, 80, 20), cx.weight("b_ih_l1", DType.F32, 80), cx.weight("b_hh_l1", DType.F32, 80));
    Object r = cx.call("torch.lstm", x, list(h0, h0), weights, true, 2L, 0.0, false, false, true);
    PyTuple t = assertInstanceOf(PyTuple.class, r);
    assertEquals(3, t.size());
    Node n = ((Value) t.get(0)).definingNode();
    assertEquals("nn.lstm", n.op().name());
    assertSame(x, n.operand(0));
    assertSame(h0, n.operand(1));
    assertSame(weights.get(0), n.operand(3));
    assertEquals("nn.lstm {num_layers=2, has_biases=true, bidirectional=false, batch_first=true} : f32[2,7,20]", TestContext.sig((Value) t.get(0)));
    Value last = (Value) cx.call("torch.select", cx.call("torch.slice", t.get(0), 0L, 0L, Long.MAX_VALUE), 1L, -1L);
    assertEquals("f32[2,20]", last.type().text());
  }

  @Test
  void viewWritesOneRunTimeSizeAsMinusOneAndSeveralAsAList() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", batched(4, 6));
    Object n = cx.call("torch.size", x, 0L);
    assertInstanceOf(Value.class, n);
    Value v = (Value) cx.call("torch.view", x, list(n, 24L));
    assertEquals("[-1,24]", v.definingNode().attr("shape").text());
    assertEquals("f32[N,24]", v.type().text());
    Value m = (Value) cx.call("torch.mul", n, 2L);
    Value r = (Value) cx.call("torch.reshape", x, list(m, n, -1L));
    assertEquals("prim.list", r.definingNode().operand(1).definingNode().op().name());
    assertEquals("f32[*]", r.type().text());
  }

  @Test
  void inPlaceFormsLowerLikePureForms() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", Type.tensor(DType.F32, 2, 3));
    Value a = (Value) cx.call("torch.hardtanh_", x, 0.0, 6.0);
    assertEquals("nn.hardtanh {min_val=0.0, max_val=6.0} : f32[2,3]", TestContext.sig(a));
    Value b = (Value) cx.call("torch.masked_fill_", x, cx.param("m", Type.tensor(DType.BOOL, 2, 3)), Double.NEGATIVE_INFINITY);
    assertEquals("nn.masked_fill", b.definingNode().op().name());
  }

  @Test
  void errorsNameTheProblem() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", Type.tensor(DType.F32, 1, 3, 8, 8));
    Value w = cx.weight("w", DType.F32, 3, 4, 3, 3);
    var e = assertThrows(IllegalArgumentException.class, () -> cx.call("torch._convolution", x, w, null, list(1L, 1L), list(0L, 0L),
        list(1L, 1L), true, list(0L, 0L), 1L, false, false, true, true));
    assertTrue(e.getMessage().contains("torch._convolution") && e.getMessage().contains("transposed=True"), e.getMessage());
    Value c = cx.weight("c", DType.F32, 3);
    e = assertThrows(IllegalArgumentException.class, () -> cx.call("torch.batch_norm", x, c, c, c, c, true, 0.1, 1e-5, true));
    assertTrue(e.getMessage().contains("training=True"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> cx.callKw("torch.zeros", Map.of("dtype", 6L), list(2L, cx.call("torch.size", cx.param("y", batched(2)), 0L))));
    assertTrue(e.getMessage().contains("size[1] is only known at run time"), e.getMessage());
  }
}
