package dev.kiln.tests.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelPrinter;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;
import dev.kiln.passes.lower.LoweringOptions.Winograd;
import dev.kiln.runtime.Tensor;
import dev.kiln.tests.golden.FileCheck;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Winograd convolutions in the lowering (WinogradLowering): the Kernel IR of a small case against a FileCheck
 * golden, the JVM backend's results against the interpreter for both tile sizes and layouts (odd sizes, so edge
 * tiles are cut), and the per-layer choice of {@code AUTO}.
 */
class WinogradLoweringTest {
  @Test
  void kernelIrOfAFusedConvMatchesTheGolden() throws Exception {
    String file = resource("kernel/winograd_f2.kir");
    String graph = file.substring(file.indexOf("// GRAPH-BEGIN\n") + 15, file.indexOf("// GRAPH-END"));
    Graph g = PassManager.parse("fuse").run(Program.of(IrParser.parse(graph, "winograd_f2"))).graph();
    String printed = KernelPrinter.print(KernelLowering.lower(g, new LoweringOptions(Winograd.F2X2)));
    FileCheck.match(FileCheck.directives(file, 1), printed, "kernel/winograd_f2.kir");
  }

  @ParameterizedTest
  @CsvSource({"F2X2, fuse, 1", "F4X4, fuse, 1", "F2X2, 'nhwc,fuse', 1", "F4X4, 'nhwc,fuse', 1", "F4X4, fuse, 0", "F2X2, 'nhwc,fuse', 0"})
  void jvmBackendMatchesTheInterpreter(Winograd mode, String pipeline, int pad) {
    WinogradCase c = WinogradCase.random(2, 16, 9, 11, 24, pad, 7);
    Graph opt = PassManager.parse(pipeline).run(Program.of(c.graph(), c.weights())).graph();
    KernelProgram p = KernelLowering.lower(opt, new LoweringOptions(mode));
    assertEquals(1, winogradKernels(p), "one convolution lowered as Winograd:\n" + KernelPrinter.print(p));
    Tensor got = (Tensor) JvmBackend.compile(p, c.weights(), new JvmOptions("dev.kiln.gen.Wino" + mode + pad + pipeline.length(), true))
        .instantiate(c.weights()).run(List.of(c.x())).get(0);
    c.assertClose(got, mode + " " + pipeline + " pad " + pad);
  }

  @Test
  void autoPicksTheTilePerLayer() {
    // tiles for F(4x4) / F(2x2): 56x56 196 / 784, 28x28 49 / 196, 14x14 16 / 49, 7x7 4 / 16 (times the batch);
    // the first with at least 40 tiles wins
    assertEquals("F(4x4", chosen(1, 64, 56, 64, 1, 1));
    assertEquals("F(4x4", chosen(1, 128, 28, 128, 1, 1));
    assertEquals("F(2x2", chosen(1, 256, 14, 256, 1, 1));
    assertEquals("", chosen(1, 512, 7, 512, 1, 1));
    assertEquals("F(2x2", chosen(8, 512, 7, 512, 1, 1));
    assertEquals("", chosen(1, 64, 56, 64, 2, 1), "stride 2 stays direct");
    assertEquals("", chosen(1, 8, 56, 8, 1, 1), "few channels stay direct");
    assertEquals("", chosen(1, 64, 56, 64, 1, 0), "OFF");
  }

  /** "F(4x4" / "F(2x2" from the Winograd init kernel's origin, or "" when the conv stayed direct. */
  private static String chosen(int n, int c, int hw, int oc, int stride, int auto) {
    int o = (hw + 2 - 3) / stride + 1;
    Graph g = IrParser.parse("""
        graph @g(%x: f32[N,C,S,S]) -> (f32[N,O,P,P]) {
          %w = const {name="w"} : f32[O,C,3,3]
          %y = nn.conv2d(%x, %w) {stride=[T,T], padding=[1,1]} : f32[N,O,P,P]
          return(%y)
        }""".replace("N,C,S,S", n + "," + c + "," + hw + "," + hw).replace("N,O,P,P", n + "," + oc + "," + o + "," + o)
        .replace("O,C", oc + "," + c).replace("T,T", stride + "," + stride), "choice");
    KernelProgram p = KernelLowering.lower(g, auto == 1 ? LoweringOptions.NATIVE : LoweringOptions.DEFAULT);
    for (Kernel k : p.init()) if (k.origin().startsWith("Winograd ")) return k.origin().substring(9, 14);
    assertTrue(p.kernels().stream().anyMatch(k -> k.body().stream().anyMatch(s -> s instanceof Stmt.Conv)), "a direct conv");
    return "";
  }

  static int winogradKernels(KernelProgram p) {
    return (int) p.init().stream().filter(k -> k.origin().startsWith("Winograd ")).count();
  }

  private static String resource(String path) throws Exception {
    try (var in = WinogradLoweringTest.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) throw new IllegalStateException("missing test resource " + path);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
