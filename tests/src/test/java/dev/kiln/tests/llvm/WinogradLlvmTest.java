package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Type;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;
import dev.kiln.passes.lower.LoweringOptions.Winograd;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Winograd convolutions compiled by the LLVM backend against the interpreter: a unit conv (both tile sizes, both
 * layouts, cut edge tiles) and the frozen CNN fixtures with every eligible layer forced to one tile size, and
 * under the per-layer choice; within 1e-4 relative to the largest output magnitude.
 */
@Tag("llvm")
class WinogradLlvmTest {
  static final double RTOL = 1e-4;

  @ParameterizedTest
  @CsvSource({"F2X2, fuse, 1", "F4X4, fuse, 1", "F2X2, 'nhwc,fuse', 1", "F4X4, 'nhwc,fuse', 1", "F4X4, 'nhwc,fuse', 0"})
  void unitConvMatchesTheInterpreter(Winograd mode, String pipeline, int pad) {
    var c = dev.kiln.tests.passes.WinogradCase.random(2, 16, 9, 11, 24, pad, 11);
    Graph opt = PassManager.parse(pipeline).run(Program.of(c.graph(), c.weights())).graph();
    KernelProgram p = KernelLowering.lower(opt, new LoweringOptions(mode));
    try (LlvmCompiled compiled = LlvmBackend.compile(p, c.weights(), LlvmOptions.defaults())) {
      assertTrue(compiled.fallbackKinds().isEmpty(), compiled.report());
      c.assertClose((Tensor) compiled.instantiate(c.weights()).run(List.of(c.x())).get(0), mode + " " + pipeline + " pad " + pad);
    }
  }

  @ParameterizedTest
  @CsvSource({"resnet_small, F2X2", "resnet_small, F4X4", "resnet_small, AUTO", "squeezenet1_1, F4X4", "squeezenet1_1, AUTO"})
  void fixtureModelsMatchTheInterpreter(String model, Winograd mode) throws Exception {
    Path dir = LlvmModelsTest.MODELS.resolve(model);
    Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("frozen.pt")), "no fixture " + dir);
    Tensor input = Npy.read(dir.resolve("input.npy"));
    var m = TorchScriptImporter.importArchive(dir.resolve("frozen.pt"), List.of(Type.tensor(input.dtype(), input.shape())));
    Tensor want = (Tensor) new Interpreter(m.graph(), m.weights()).run(List.of(input)).get(0);
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(IrParser.parse(IrPrinter.print(m.graph()), model), m.weights()));
    KernelProgram p = KernelLowering.lower(opt.graph(), new LoweringOptions(mode));
    long wino = p.init().stream().filter(k -> k.origin().startsWith("Winograd ")).count();
    System.out.println("[winograd] " + model + " " + mode + ": " + wino + " Winograd layer(s)");
    if (mode != Winograd.AUTO) assertTrue(wino > 0, model + " has a stride-1 3x3 convolution");
    try (LlvmCompiled compiled = LlvmBackend.compile(p, opt.weights(), LlvmOptions.defaults())) {
      Tensor got = (Tensor) compiled.instantiate(opt.weights()).run(List.of(input)).get(0);
      double scale = 1e-6;
      for (double d : want.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
      assertEquals(want.numel(), got.numel());
      assertTrue(got.allClose(want, RTOL * scale, RTOL), model + " " + mode + ": max |diff| " + got.maxAbsDiff(want) + " vs scale " + scale);
    }
  }
}
