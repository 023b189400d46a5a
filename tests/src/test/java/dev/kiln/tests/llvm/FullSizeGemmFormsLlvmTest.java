package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Full-size mobilenet_v2 and squeezenet1_1 (224x224, {@code fixtures-large/}) on the LLVM backend with the fourth
 * round's GEMM forms (A read in place, narrow last panels, one depth block up to 1.5 KC, relu / relu6 / residual
 * epilogues in the convolutions' stores): the output matches the interpreter on the unoptimized graph within 1e-4
 * relative to its largest magnitude. Needs the fixtures ({@code tests/fixtures/gen_models.py --full}).
 */
@Tag("real-models")
@Tag("llvm")
class FullSizeGemmFormsLlvmTest {
  @ParameterizedTest
  @ValueSource(strings = {"mobilenet_v2", "squeezenet1_1"})
  void matchesTheInterpreter(String model) {
    Path dir = null;
    for (Path p = Path.of("").toAbsolutePath(); p != null && dir == null; p = p.getParent())
      if (Files.isDirectory(p.resolve("fixtures-large").resolve(model))) dir = p.resolve("fixtures-large").resolve(model);
    Assumptions.assumeTrue(dir != null && Files.isRegularFile(dir.resolve("frozen.pt")),
        "no fixtures-large/" + model + "/frozen.pt: run /usr/bin/python3 tests/fixtures/gen_models.py --full");
    Tensor input = Npy.read(dir.resolve("input.npy"));
    var m = TorchScriptImporter.importArchive(dir.resolve("frozen.pt"), List.of(Type.tensor(input.dtype(), input.shape())));
    Tensor want = (Tensor) new Interpreter(m.graph(), m.weights()).run(List.of(input)).get(0);
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(IrParser.parse(IrPrinter.print(m.graph()), model), m.weights()));
    try (LlvmCompiled compiled = LlvmBackend.compile(opt.graph(), opt.weights(), LlvmOptions.defaults())) {
      System.out.println("[gemm forms] " + model + ": " + compiled.report());
      Tensor got = (Tensor) compiled.instantiate(opt.weights()).run(List.of(input)).get(0);
      double scale = 1e-6;
      for (double d : want.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
      assertTrue(got.allClose(want, 1e-4 * scale, 1e-4), model + ": max |diff| " + got.maxAbsDiff(want) + " vs scale " + scale);
    }
  }
}
