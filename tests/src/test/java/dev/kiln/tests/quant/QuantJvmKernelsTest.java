package dev.kiln.tests.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmCompiled;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The quantized fixture models (PyTorch's quantize_dynamic, eager/FX static quantization, QAT) compiled by the JVM
 * backend at -O2: their quantized linear and convolution nodes run on the int8 primitives (the generated class
 * calls {@code QuantCall}), and every output equals the same class compiled with the q ops on the interpreter bit
 * for bit, on the fixture input and on perturbed copies of it. Against the interpreter itself the outputs are equal
 * bit for bit too, except the LSTM's: its f32 gates run as the JVM backend's own loops (tanh through exp, vector
 * exp), which agree with the interpreter only to rounding.
 */
class QuantJvmKernelsTest {
  static final Path MODELS = Path.of("fixtures/models");

  @ParameterizedTest(name = "{0}")
  @CsvSource({"mlp_dynq, true", "lstm_dynq, false", "cnn_qstatic, true", "cnn_qstatic_fx, true", "cnn_qat, true"})
  void int8KernelsEqualTheInterpreter(String model, boolean floatPartExact) {
    Tensor x = Npy.read(MODELS.resolve(model).resolve("input.npy"));
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(MODELS.resolve(model).resolve("scripted.pt"),
        List.of(Type.tensor(x.dtype(), x.shape())));
    Program p = PassManager.parse(Pipelines.level(2)).run(Program.of(m.graph(), m.weights()));
    String text = IrPrinter.print(p.graph());
    JvmCompiled compiled = JvmBackend.compile(p.graph(), p.weights(), new JvmOptions("dev.kiln.gen.Q", true));
    String cls = new String(compiled.classes().get("dev.kiln.gen.Q"), StandardCharsets.ISO_8859_1);
    assertTrue(cls.contains("dev/kiln/runtime/interp/QuantCall"), "no int8 primitive call in the class of\n" + text);
    CompiledModel jvm = compiled.instantiate(p.weights()), viaInterpreter = withoutInt8(p).instantiate(p.weights());
    Interpreter interp = new Interpreter(p.graph(), p.weights());
    Random r = new Random(model.hashCode());
    float[] base = x.toFloatArray();
    for (int trial = 0; trial < 4; trial++) {
      float[] v = base.clone();
      if (trial > 0) for (int i = 0; i < v.length; i++) v[i] += (float) (r.nextGaussian() * 0.3 * trial);
      List<Object> in = List.of(Tensor.fromFloats(v, x.shape()));
      List<Object> got = jvm.run(in), same = viaInterpreter.run(in), want = interp.run(in);
      assertEquals(want.size(), got.size());
      for (int i = 0; i < want.size(); i++) {
        Tensor a = (Tensor) want.get(i), b = (Tensor) got.get(i);
        String at = model + " output " + i + ", trial " + trial;
        assertEquals(a.dtype(), b.dtype());
        assertArrayEquals(a.shape(), b.shape());
        assertArrayEquals(bytes((Tensor) same.get(i)), bytes(b), at + ": int8 primitives against the same class with reference calls");
        if (floatPartExact) assertArrayEquals(bytes(a), bytes(b), at + ": against the interpreter");
        else assertTrue(a.allClose(b, 1e-5, 1e-5), at + ": against the interpreter, max abs diff " + a.maxAbsDiff(b));
      }
    }
  }

  /** The same program compiled with every q op on the interpreter ({@code -Dkiln.jvm.int8=false}). */
  private static JvmCompiled withoutInt8(Program p) {
    String before = System.getProperty("kiln.jvm.int8");
    System.setProperty("kiln.jvm.int8", "false");
    try {
      JvmCompiled c = JvmBackend.compile(p.graph(), p.weights(), new JvmOptions("dev.kiln.gen.R", true));
      assertFalse(new String(c.classes().get("dev.kiln.gen.R"), StandardCharsets.ISO_8859_1).contains("dev/kiln/runtime/interp/QuantCall"));
      return c;
    } finally {
      if (before == null) System.clearProperty("kiln.jvm.int8");
      else System.setProperty("kiln.jvm.int8", before);
    }
  }

  private static byte[] bytes(Tensor t) { return t.segment().toArray(ValueLayout.JAVA_BYTE); }
}
