package dev.kiln.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmCompiled;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real-model fixtures compiled by the JVM backend: each archive is imported with the fixture input's concrete
 * shape (the backend compiles per shape), optimized at -O2, lowered, emitted (CheckClassAdapter-verified) and run;
 * outputs must match the interpreter on the unoptimized graph within 1e-4 relative to each output's largest
 * magnitude. Prints what lowered to loops, primitives, aliases and reference calls. A model the importer cannot
 * read yet is skipped, saying why.
 */
class JvmModelsTest {
  static final Path MODELS = Path.of("fixtures/models");
  static final double RTOL = 1e-4;

  @ParameterizedTest
  @CsvSource({"mlp,scripted", "cnn,scripted", "cnn,traced", "controlflow,scripted", "views,scripted", "lstm,scripted",
      "mobilenet_v2,frozen", "resnet_small,scripted", "squeezenet1_1,traced", "transformer,scripted"})
  void compiledModelMatchesTheInterpreter(String model, String flavour) throws Exception {
    Path dir = MODELS.resolve(model);
    Path pt = dir.resolve(flavour + ".pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = Npy.read(dir.resolve("input.npy"));
    TorchScriptImporter.ImportedModel m;
    try {
      m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    } catch (RuntimeException e) {
      Assumptions.abort("the importer cannot read " + pt + " yet: " + e.getMessage());
      return;
    }
    List<Object> want = new Interpreter(m.graph(), m.weights()).run(List.of(input));
    Graph copy = IrParser.parse(IrPrinter.print(m.graph()), model);
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(copy, m.weights()));
    KernelLowering.Result lowered = KernelLowering.lowerWithReport(opt.graph());
    JvmCompiled compiled = JvmBackend.compile(lowered.program(), opt.weights(), new JvmOptions("dev.kiln.gen." + model + "_" + flavour, true));
    List<Object> got = compiled.instantiate(opt.weights()).run(List.of(input));
    System.out.println("[jvm] " + model + "/" + flavour + ": " + lowered.report().summary());
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) assertClose(want.get(i), got.get(i), model + " output " + i);
  }

  private static void assertClose(Object want, Object got, String what) {
    switch (want) {
      case Tensor w -> {
        assertTrue(got instanceof Tensor, what + ": expected a tensor, got " + got);
        double scale = 1e-6;
        for (double d : w.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
        assertTrue(((Tensor) got).allClose(w, RTOL * scale, RTOL), what + ": max |diff| " + ((Tensor) got).maxAbsDiff(w) + " vs scale " + scale);
      }
      case Tuple t -> {
        for (int i = 0; i < t.size(); i++) assertClose(t.get(i), ((Tuple) got).get(i), what + "[" + i + "]");
      }
      case List<?> l -> {
        for (int i = 0; i < l.size(); i++) assertClose(l.get(i), ((List<?>) got).get(i), what + "[" + i + "]");
      }
      case null, default -> assertEquals(want, got, what);
    }
  }
}
