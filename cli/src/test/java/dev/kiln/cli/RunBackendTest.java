package dev.kiln.cli;

import static dev.kiln.cli.KilnCliTest.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.KilnCliTest.Result;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln run MODEL --backend jvm} compiles in memory and gives the interpreter's outputs. */
class RunBackendTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path CNN = ROOT.resolve("tests/fixtures/models/cnn");
  private static final Path SAMPLE = ROOT.resolve("samples/ir");

  @TempDir Path dir;

  /** Runs {@code kiln run} with the given extra arguments, writing the single output to a file, and reads it back. */
  private Tensor runTo(String name, String... args) {
    Path out = dir.resolve(name + ".npy");
    String[] all = new String[args.length + 3];
    all[0] = "run";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "-o";
    all[args.length + 2] = out.toString();
    Result r = kiln(all);
    assertEquals(0, r.code(), r.all());
    assertEquals("wrote output 0 to " + out + "\n", r.out(), r.all());
    return Npy.read(out);
  }

  @Test
  @org.junit.jupiter.api.Tag("llvm")
  void theCnnArchiveRunsOnTheLlvmBackendAsOnTheInterpreter() {
    String pt = CNN.resolve("frozen.pt").toString(), x = CNN.resolve("input.npy").toString();
    Tensor interp = runTo("interp", pt, "--input", x);
    Tensor llvm = runTo("llvm", pt, "--input", x, "--backend", "llvm", "-O2");
    assertTrue(llvm.maxAbsDiff(interp) <= 1e-4, "llvm -O2 vs interpreter: max abs diff " + llvm.maxAbsDiff(interp));
  }

  @Test
  void theCnnArchiveRunsOnTheJvmBackendAsOnTheInterpreter() {
    String pt = CNN.resolve("frozen.pt").toString(), x = CNN.resolve("input.npy").toString();
    Tensor interp = runTo("interp", pt, "--input", x);
    Tensor jvm = runTo("jvm", pt, "--input", x, "--backend", "jvm");
    Tensor jvmO2 = runTo("jvm-O2", pt, "--input", x, "--backend", "jvm", "-O2");
    assertEquals(List.of(2L, 10L), List.of(jvm.shape()[0], jvm.shape()[1]));
    assertTrue(jvm.maxAbsDiff(interp) <= 1e-4, "jvm -O1 vs interpreter: max abs diff " + jvm.maxAbsDiff(interp));
    assertTrue(jvmO2.maxAbsDiff(interp) <= 1e-4, "jvm -O2 vs interpreter: max abs diff " + jvmO2.maxAbsDiff(interp));
    Tensor torch = Npy.read(CNN.resolve("output.npy"));
    assertTrue(jvm.maxAbsDiff(torch) <= 1e-4, "jvm vs PyTorch: max abs diff " + jvm.maxAbsDiff(torch));
  }

  @Test
  void aSymbolicBatchIsSpecializedToTheInputsSize() throws IOException {
    String kir = SAMPLE.resolve("mlp.kir").toString(), x = SAMPLE.resolve("mlp.input.npy").toString();
    Tensor interp = runTo("interp", kir, "--input", x);
    Tensor jvm = runTo("jvm", kir, "--input", x, "--backend", "jvm", "-O2");
    assertTrue(jvm.maxAbsDiff(interp) <= 1e-6, "max abs diff " + jvm.maxAbsDiff(interp));
    Result printed = kiln("run", kir, "--input", x, "--backend", "jvm");
    assertEquals(0, printed.code(), printed.all());
    assertTrue(printed.out().startsWith("output 0: f32[2,3]"), printed.all());
  }

  @Test
  void specializationBindsEverySymbolOnceFromTheInputs() {
    Graph g = IrParser.parse("""
        graph @g(%a: f32[N,T], %b: f32[N,4], %k: int) -> (f32[N,T]) {
          return(%a)
        }
        """, "g.kir");
    List<Object> args = List.of(Tensor.fromFloats(new float[6], 2, 3), Tensor.fromFloats(new float[8], 2, 4), 7L);
    assertEquals("specialize=N:2;T:3", JvmRunner.specialization(g, args));
    Graph fixed = IrParser.parse("graph @h(%a: f32[2,3]) -> (f32[2,3]) {\n  return(%a)\n}\n", "h.kir");
    assertEquals("", JvmRunner.specialization(fixed, List.of(args.getFirst())));
  }

  @Test
  void anUnknownBackendIsAnErrorBeforeAnythingRuns() {
    Result r = kiln("run", SAMPLE.resolve("mlp.kir").toString(), "--input", SAMPLE.resolve("mlp.input.npy").toString(), "--backend", "tpu");
    assertEquals(1, r.code(), r.all());
    assertEquals("kiln: --backend tpu: expected interp, jvm or llvm\n", r.err());
  }
}
