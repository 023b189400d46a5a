package dev.kiln.runtime.interp;

import static dev.kiln.runtime.interp.OpRunner.fl;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The static quantized kernels on values worked out by hand (saturation, fused relu, zero-point padding, add's
 * rounding); bit-exactness with PyTorch is checked by the op fixtures in tests/ (q_conv2d_*, q_add*, ...).
 */
class QuantNnKernelsTest {
  private static long[] ints(String text, Object... inputs) {
    Graph g = IrParser.parse(text, "qnn.kir");
    Verifier.verify(g);
    return ((Tensor) new Interpreter(g, Map.of()).run(List.of(inputs)).getFirst()).toLongArray();
  }

  @Test
  void linearRequantizesSaturatesAndClampsAtTheZeroPointWithRelu() {
    // x = [1, 2, -1] exactly (scale 1, zp 10 -> raw 11, 12, 9); w = [[1,1,1],[100,100,100],[-1,0,0]] (scale 1).
    // sums: 2, 200, -1; output scale 0.5, zp 100: 2/0.5 + 100 = 104, 400 + 100 saturates to 255, -2 + 100 = 98.
    String body = """
          %xq = q.quantize_per_tensor(%x) {scale=1.0, zero_point=10, dtype=qu8} : qu8[1,3]{q=1.0:10}
          %wq = q.quantize_per_tensor(%w) {scale=1.0, zero_point=0, dtype=qi8} : qi8[3,3]{q=1.0:0}
          %y = OP(%xq, %wq) {scale=0.5, zero_point=100, dtype=qu8} : qu8[1,3]{q=0.5:100}
          %i = q.int_repr(%y) : u8[1,3]
          return(%i)
        }
        """;
    String head = "graph @l(%x: f32[1,3], %w: f32[3,3]) -> (u8[1,3]) {\n";
    Tensor x = Tensor.fromFloats(fl(1, 2, -1), 1, 3), w = Tensor.fromFloats(fl(1, 1, 1, 100, 100, 100, -1, 0, 0), 3, 3);
    assertArrayEquals(new long[] {104, 255, 98}, ints(head + body.replace("OP", "q.linear"), x, w));
    assertArrayEquals(new long[] {104, 255, 100}, ints(head + body.replace("OP", "q.linear_relu"), x, w));
  }

  @Test
  void convPaddingReadsTheInputZeroPoint() {
    // A 1x1 input of value 2 (raw 2 + 50) padded to 3x3 with a 3x3 all-ones kernel: the padding adds nothing.
    String text = """
        graph @c(%x: f32[1,1,1,1], %w: f32[1,1,3,3]) -> (u8[1,1,1,1]) {
          %xq = q.quantize_per_tensor(%x) {scale=1.0, zero_point=50, dtype=qu8} : qu8[1,1,1,1]{q=1.0:50}
          %wq = q.quantize_per_tensor(%w) {scale=1.0, zero_point=0, dtype=qi8} : qi8[1,1,3,3]{q=1.0:0}
          %y = q.conv2d(%xq, %wq) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=1, scale=1.0, zero_point=0, dtype=qu8} : qu8[1,1,1,1]{q=1.0:0}
          %i = q.int_repr(%y) : u8[1,1,1,1]
          return(%i)
        }
        """;
    assertArrayEquals(new long[] {2}, ints(text, Tensor.fromFloats(fl(2), 1, 1, 1, 1), Tensor.fromFloats(fl(1, 1, 1, 1, 1, 1, 1, 1, 1), 1, 1, 3, 3)));
  }

  @Test
  void addRoundsHalfAwayFromZero() {
    // a, b on scale 1 (zp 0), output scale 2: sums 1, 3, 5 and -1, -3 halve to 0.5, 1.5, 2.5, -0.5, -1.5, which qnnpack
    // rounds away from zero: 1, 2, 3, -1, -2 (+ zp 10).
    String text = """
        graph @a(%a: f32[5], %b: f32[5]) -> (u8[5]) {
          %aq = q.quantize_per_tensor(%a) {scale=1.0, zero_point=20, dtype=qu8} : qu8[5]{q=1.0:20}
          %bq = q.quantize_per_tensor(%b) {scale=1.0, zero_point=20, dtype=qu8} : qu8[5]{q=1.0:20}
          %y = q.add(%aq, %bq) {scale=2.0, zero_point=10, dtype=qu8} : qu8[5]{q=2.0:10}
          %i = q.int_repr(%y) : u8[5]
          return(%i)
        }
        """;
    assertArrayEquals(new long[] {11, 12, 13, 9, 8}, ints(text, Tensor.fromFloats(fl(1, 1, 2, -1, -2), 5), Tensor.fromFloats(fl(0, 2, 3, 0, -1), 5)));
  }

  @Test
  void addRefusesScaleRatiosQnnpackCannotRepresent() {
    String text = """
        graph @a(%a: f32[2]) -> (u8[2]) {
          %aq = q.quantize_per_tensor(%a) {scale=1000.0, zero_point=0, dtype=qu8} : qu8[2]{q=1000.0:0}
          %y = q.add(%aq, %aq) {scale=1.0, zero_point=0, dtype=qu8} : qu8[2]{q=1.0:0}
          %i = q.int_repr(%y) : u8[2]
          return(%i)
        }
        """;
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class, () -> ints(text, Tensor.fromFloats(fl(1, 2), 2)));
    assertTrue(e.getMessage().contains("q.add") && e.getMessage().contains("outside qnnpack's [2^-14, 2^8)"), e.getMessage());
  }

  @Test
  void reluAndMaxPoolKeepTheParameters() {
    String text = """
        graph @p(%x: f32[1,1,2,2]) -> (i8[1,1,1,1]) {
          %xq = q.quantize_per_tensor(%x) {scale=1.0, zero_point=-5, dtype=qi8} : qi8[1,1,2,2]{q=1.0:-5}
          %r = q.relu(%xq) : qi8[1,1,2,2]{q=1.0:-5}
          %m = q.max_pool2d(%r) {kernel_size=[2,2]} : qi8[1,1,1,1]{q=1.0:-5}
          %i = q.int_repr(%m) : i8[1,1,1,1]
          return(%i)
        }
        """;
    assertArrayEquals(new long[] {-5}, ints(text, Tensor.fromFloats(fl(-3, -1, -2, -4), 1, 1, 2, 2)));
  }
}
