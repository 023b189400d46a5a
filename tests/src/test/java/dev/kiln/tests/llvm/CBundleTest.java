package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.bundle.CBundleException;
import dev.kiln.codegen.llvm.bundle.CBundleWriter;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * C bundles of small fixtures (CNNs, an LSTM, a transformer layer): written by {@link CBundleWriter}, linked into {@code samples/c-bundle/main.c}
 * with gcc (no JVM, no Kiln library in the program), run on the fixture input. The raw output must match the
 * interpreter on the unoptimized graph within 1e-4 relative to its largest magnitude, and the printed top classes
 * must be the interpreter's.
 */
@Tag("llvm")
class CBundleTest {
  static final Path MODELS = Path.of("fixtures/models");
  static final double RTOL = 1e-4;

  @TempDir Path tmp;

  @ParameterizedTest
  @CsvSource({"cnn", "resnet_small", "mobilenet_v2", "lstm", "transformer"})
  void sampleProgramMatchesTheInterpreter(String model) throws Exception {
    Path gcc = CBundleHarness.requireGcc();
    Path pt = MODELS.resolve(model).resolve("frozen.pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Path npy = MODELS.resolve(model).resolve("input.npy");
    Tensor input = Npy.read(npy);
    Path dir = tmp.resolve("bundle");
    CBundleWriter.Result r = CBundleHarness.bundle(pt, input, model, dir);
    System.out.println("[c-bundle] " + r.report());
    assertTrue(r.layout().workspaceBytes() < r.layout().scratchBytes() + r.layout().unsharedActivationBytes(),
        "activations share workspace bytes: " + r.report());
    String header = Files.readString(r.header());
    assertTrue(header.contains("int " + model + "_run(const void *weights, void *workspace, const " + model + "_in0_t *in0, "
        + model + "_out0_t *out0);"), header);
    assertTrue(header.contains("#define " + model.toUpperCase() + "_IN0_SHAPE {" + String.join(", ",
        Arrays.stream(input.shape()).mapToObj(Long::toString).toList()) + "}"), header);
    assertEquals(r.layout().weightsBytes(), Files.size(r.weights()));

    Path exe = CBundleHarness.buildSample(gcc, model, dir, tmp);
    Path raw = tmp.resolve("out.f32");
    String stdout = CBundleHarness.run(List.of(exe.toString(), "--out", raw.toString(), "--top", "3", npy.toString()));
    System.out.print(stdout);

    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    Tensor want = (Tensor) new Interpreter(m.graph(), m.weights()).run(List.of(input)).get(0);
    float[] got = CBundleHarness.readFloats(raw);
    double[] w = want.toDoubleArray();
    assertEquals(w.length, got.length, "output elements");
    double scale = 1e-6, diff = 0;
    for (int i = 0; i < w.length; i++) {
      scale = Math.max(scale, Math.abs(w[i]));
      diff = Math.max(diff, Math.abs(w[i] - got[i]));
    }
    assertTrue(diff <= RTOL * scale, model + ": max |diff| " + diff + " vs scale " + scale);

    List<List<Integer>> printed = CBundleHarness.printedClasses(stdout);
    int rows = (int) want.shape()[0], classes = w.length / rows;
    assertEquals(rows, printed.size(), stdout);
    for (int i = 0; i < rows; i++)
      assertEquals(CBundleHarness.topK(Arrays.copyOfRange(w, i * classes, (i + 1) * classes), 3), printed.get(i), "image " + i);
  }

  /** The shared library links too, and the header is valid C++ (extern "C"). */
  @Test
  void sharedLibraryAndCppHeader() throws Exception {
    Path gcc = CBundleHarness.requireGcc();
    Path pt = MODELS.resolve("cnn").resolve("frozen.pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Path npy = MODELS.resolve("cnn").resolve("input.npy");
    Path dir = tmp.resolve("b");
    CBundleWriter.Result r = CBundleHarness.bundle(pt, Npy.read(npy), "cnn", dir);
    Assumptions.assumeTrue(r.sharedLibrary() != null, "no linker: no .so written");
    Path exe = tmp.resolve("classify_so");
    CBundleHarness.run(List.of(gcc.toString(), "-O2", "-std=c11", "-DMODEL=cnn", "-DMODEL_UPPER=CNN", "-DBUNDLE_DIR=\"" + dir + "\"",
        "-I" + dir, CBundleHarness.SAMPLE.toString(), "-L" + dir, "-lcnn", "-Wl,-rpath," + dir.toAbsolutePath(), "-lm", "-o", exe.toString()));
    String out = CBundleHarness.run(List.of(exe.toString(), npy.toString()));
    assertEquals(2, CBundleHarness.printedClasses(out).size(), out);
    // only the entry point is exported: two bundles link into one program
    String symbols = CBundleHarness.run(List.of("nm", "-g", "--defined-only", r.object().toString()));
    assertEquals("cnn_run", symbols.strip().replaceAll("^\\S+\\s+T\\s+", ""), symbols);

    Path gxx = gcc.resolveSibling("g++");
    if (Files.isExecutable(gxx)) {
      Path cpp = tmp.resolve("use.cpp");
      Files.writeString(cpp, "#include \"cnn.h\"\nint main() { return cnn_run(nullptr, nullptr, nullptr, nullptr) == CNN_ERR_NULL ? 0 : 1; }\n");
      Path cppExe = tmp.resolve("use_cpp");
      CBundleHarness.run(List.of(gxx.toString(), "-I" + dir, cpp.toString(), r.object().toString(), "-lm", "-o", cppExe.toString()));
      CBundleHarness.run(List.of(cppExe.toString()));
    }
  }

  /** A model with a kernel that has no native form is refused, naming the kernel and its op. */
  @Test
  void modelWithoutNativeKernelsIsRefused() {
    Path pt = MODELS.resolve("controlflow").resolve("frozen.pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = Npy.read(MODELS.resolve("controlflow").resolve("input.npy"));
    CBundleException e = assertThrows(CBundleException.class,
        () -> CBundleHarness.bundle(pt, input, "controlflow", tmp.resolve("cf")));
    assertTrue(e.getMessage().contains("C bundle controlflow") && e.getMessage().contains("kernel "), e.getMessage());
    System.out.println("[c-bundle] refused: " + e.getMessage());
  }

  @Test
  void badNameIsRefused() {
    CBundleException e = assertThrows(CBundleException.class,
        () -> CBundleWriter.write(new dev.kiln.ir.Graph("g"), java.util.Map.of(), "3d-net", "x.pt", "host", tmp));
    assertTrue(e.getMessage().contains("\"3d-net\" is not a C identifier"), e.getMessage());
  }
}
