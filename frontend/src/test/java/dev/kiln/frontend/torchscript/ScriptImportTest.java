package dev.kiln.frontend.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Standalone scripts: operators, helpers, folded and run-time control flow, symbolic sizes, and error messages. */
class ScriptImportTest {
  private static Path script(String name) {
    try {
      return Path.of(ScriptImportTest.class.getResource("/lowering/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  /** forward_mix.py computed directly, for an [n,4] x and a [4,3] w. */
  private static float[] reference(float[] x, float[] w, int n) {
    float[] y = new float[n * 3];
    double sum = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < 3; j++) {
        float acc = 0;
        for (int k = 0; k < 4; k++) acc += x[i * 4 + k] * w[k * 3 + j];
        y[i * 3 + j] = acc * 2f + 1f + 0f + 0.5f + 1.5f; // range(4) without i == 2 adds 0, 0.5, 1.5
        sum += y[i * 3 + j];
      }
    int steps = (n + 1) / 2; // while steps * 2 < n
    float[] z = new float[y.length];
    for (int i = 0; i < y.length; i++) {
      float v = sum > 0 ? Math.max(y[i], 0f) : -y[i];
      for (int s = 0; s < steps; s++) v *= 0.5f;
      z[i] = v - 0.25f;
    }
    return z;
  }

  private static void runMix(Dim batch, int n, long seed) {
    TensorType xt = Type.tensor(DType.F32, Shape.of(List.of(batch, Dim.of(4))));
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importScript(script("forward_mix.py"), "forward",
        List.of(xt, Type.tensor(DType.F32, 4, 3)));
    Verifier.verify(m.graph());
    float[] x = random(n * 4, seed), w = random(12, seed + 1);
    Tensor out = (Tensor) new Interpreter(m.graph(), m.weights())
        .run(List.of(Tensor.fromFloats(x, n, 4), Tensor.fromFloats(w, 4, 3))).getFirst();
    float[] got = out.toFloatArray(), want = reference(x, w, n);
    assertEquals(want.length, got.length);
    for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5, "element " + i);
  }

  @Test
  void staticShapesFoldTheSizeAndUnrollTheWhileLoop() {
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importScript(script("forward_mix.py"), "forward",
        List.of(Type.tensor(DType.F32, 3, 4), Type.tensor(DType.F32, 4, 3)));
    String text = IrPrinter.print(m.graph());
    assertFalse(text.contains("loop("), text);
    assertFalse(text.contains("prim.size"), text);
    assertTrue(text.contains("if("), "the data-dependent if stays: " + text);
    for (long seed : new long[] {1, 2, 3, 4}) runMix(Dim.of(3), 3, seed);
  }

  @Test
  void symbolicBatchStaysSymbolicAndBecomesARuntimeLoop() {
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importScript(script("forward_mix.py"), "forward",
        List.of(Type.tensor(DType.F32, Shape.of(List.of(Dim.sym("N"), Dim.of(4)))), Type.tensor(DType.F32, 4, 3)));
    String text = IrPrinter.print(m.graph());
    assertTrue(text.contains("f32[N,4]"), text);
    assertTrue(text.contains("prim.size"), text);
    assertTrue(text.contains("loop("), text);
    for (int n : new int[] {1, 2, 5}) runMix(Dim.sym("N"), n, 10 + n);
  }

  @Test
  void aCheckThatFailsForTheInputTypesIsReportedAtImport() {
    Path p = script("checks.py");
    ScriptLoweringException e = assertThrows(ScriptLoweringException.class,
        () -> TorchScriptImporter.importScript(p, "needs_2d", List.of(Type.tensor(DType.F32, 2, 3, 4))));
    assertTrue(e.getMessage().startsWith(p + ":7:9: "), e.getMessage());
    assertTrue(e.getMessage().contains("ValueError") && e.getMessage().contains("expected a 2-D input"), e.getMessage());
    // With a 2-D input the check folds away: no raise in the graph.
    String text = IrPrinter.print(TorchScriptImporter.importScript(p, "needs_2d", List.of(Type.tensor(DType.F32, 2, 3))).graph());
    assertFalse(text.contains("raise"), text);
  }

  @Test
  void aRaiseUnderARuntimeConditionBecomesTheRaiseOp() {
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importScript(script("checks.py"), "guarded",
        List.of(Type.tensor(DType.F32, 2)));
    Verifier.verify(m.graph());
    assertTrue(IrPrinter.print(m.graph()).contains("raise {message=\"sum too large\", kind=\"ValueError\"}"), IrPrinter.print(m.graph()));
    Interpreter it = new Interpreter(m.graph(), m.weights());
    Tensor y = (Tensor) it.run(List.of(Tensor.fromFloats(new float[] {1, 2}, 2))).getFirst();
    assertEquals(4f, y.toFloatArray()[1]);
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class, () -> it.run(List.of(Tensor.fromFloats(new float[] {100, 2}, 2))));
    assertTrue(e.getMessage().contains("sum too large"), e.getMessage());
  }

  @Test
  void unsupportedOpNamesTheOpAndPosition() {
    Path p = script("checks.py");
    ScriptLoweringException e = assertThrows(ScriptLoweringException.class,
        () -> TorchScriptImporter.importScript(p, "unsupported", List.of(Type.tensor(DType.F32, 2))));
    assertEquals(p + ":19:12: unsupported op 'torch.frobnicate' (in unsupported)", e.getMessage());
  }

  @Test
  void irTypeErrorsGetTheSourcePosition() {
    Path p = script("checks.py");
    ScriptLoweringException e = assertThrows(ScriptLoweringException.class,
        () -> TorchScriptImporter.importScript(p, "bad_matmul", List.of(Type.tensor(DType.F32, 2, 3))));
    assertTrue(e.getMessage().startsWith(p + ":23:12: "), e.getMessage());
    assertTrue(e.getMessage().endsWith("(in bad_matmul)"), e.getMessage());
  }

  @Test
  void branchesThatDisagreeNameTheVariable() {
    ScriptLoweringException e = assertThrows(ScriptLoweringException.class,
        () -> TorchScriptImporter.importScript(script("checks.py"), "mixed_branches", List.of(Type.tensor(DType.F32, 2))));
    assertTrue(e.getMessage().contains("variable 'y' is f32[2] in the then branch and float in the else branch"), e.getMessage());
  }

  @Test
  void recursionHitsTheInliningLimit() {
    ScriptLoweringException e = assertThrows(ScriptLoweringException.class,
        () -> TorchScriptImporter.importScript(script("checks.py"), "recurse", List.of(Type.tensor(DType.F32, 2))));
    assertTrue(e.getMessage().contains("calls nest deeper than " + Lowering.MAX_INLINE_DEPTH), e.getMessage());
  }

  @Test
  void wrongNumberOfInputTypesIsAnError() {
    ScriptLoweringException e = assertThrows(ScriptLoweringException.class,
        () -> TorchScriptImporter.importScript(script("forward_mix.py"), "forward", List.of(Type.tensor(DType.F32, 2, 4))));
    assertTrue(e.getMessage().contains("takes 2 inputs, but 1 input types were given"), e.getMessage());
  }
}
