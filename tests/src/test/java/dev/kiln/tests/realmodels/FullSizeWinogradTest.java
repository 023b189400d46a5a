package dev.kiln.tests.realmodels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Full-size resnet18 and squeezenet1_1 (224x224) through the LLVM backend, whose lowering picks Winograd
 * convolutions per layer: the output must match the interpreter on the unoptimized graph within 1e-4 relative to
 * its largest magnitude, with at least one Winograd layer compiled.
 */
@Tag("real-models")
@Tag("llvm")
class FullSizeWinogradTest {
  static final double RTOL = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "squeezenet1_1"})
  void winogradModelMatchesTheInterpreter(String model) {
    Path dir = FullSizeModels.require(model, "frozen.pt");
    var m = FullSizeModels.importStatic(dir, "frozen");
    Tensor input = Npy.read(dir.resolve("input.npy"));
    Tensor want = (Tensor) new Interpreter(m.graph(), m.weights()).run(List.of(input)).get(0);
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(IrParser.parse(IrPrinter.print(m.graph()), model), m.weights()));
    try (LlvmCompiled compiled = LlvmBackend.compile(opt.graph(), opt.weights(), LlvmOptions.defaults())) {
      System.out.println("[winograd] " + model + ": " + compiled.report());
      assertTrue(compiled.nativeKinds().keySet().stream().anyMatch(k -> k.startsWith("Winograd")), compiled.report());
      Tensor got = (Tensor) compiled.instantiate(opt.weights()).run(List.of(input)).get(0);
      double scale = 1e-6;
      for (double d : want.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
      assertTrue(got.allClose(want, RTOL * scale, RTOL), model + ": max |diff| " + got.maxAbsDiff(want) + " vs scale " + scale);
    }
  }
}
