package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.Graph;
import dev.kiln.ir.kernel.KernelPrinter;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.lower.KernelLowering;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.Textifier;
import org.objectweb.asm.util.TraceClassVisitor;

/**
 * Golden text: the Kernel IR of small lowered graphs (resources jvm/NAME.kir with the graph in {@code //} lines on
 * top, the expected Kernel IR below {@code // ----}), and a Textifier dump of one generated kernel method.
 * Regenerate a golden only after reading the diff.
 */
class GoldenTest {
  @ParameterizedTest
  @ValueSource(strings = {"bias_relu", "linear_gelu", "permute_mean"})
  void kernelIr(String name) throws Exception {
    String file = resource("jvm/" + name + ".kir");
    int cut = file.indexOf("// ----\n");
    String graphText = file.substring(0, cut).lines().map(l -> l.startsWith("// ") ? l.substring(3) : l).reduce("", (a, b) -> a + b + "\n");
    Graph g = PassManager.parse("fuse").run(Program.of(IrParser.parse(graphText, name))).graph();
    assertEquals(file.substring(cut + 8), KernelPrinter.print(KernelLowering.lower(g)), name);
  }

  @org.junit.jupiter.api.Test
  void bytecodeOfAReluKernel() throws Exception {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[16]) -> (f32[16]) {
          %y = nn.relu(%x) : f32[16]
          return(%y)
        }""", "relu");
    KernelProgram p = KernelLowering.lower(g);
    byte[] cls = JvmBackend.compile(p, Map.of(), new JvmOptions("dev.kiln.gen.Relu", true)).classes().get("dev.kiln.gen.Relu");
    StringWriter out = new StringWriter();
    new ClassReader(cls).accept(new TraceClassVisitor(null, new Textifier(), new PrintWriter(out)), ClassReader.SKIP_FRAMES);
    String text = out.toString();
    String kernel = text.substring(text.indexOf("  // access flags 0x12\n  private final k0_nn_relu"));
    assertEquals(resource("jvm/relu_kernel.txt"), kernel);
  }

  private static String resource(String path) throws Exception {
    try (var in = GoldenTest.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) throw new IllegalStateException("missing test resource " + path);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
