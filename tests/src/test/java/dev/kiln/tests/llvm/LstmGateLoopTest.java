package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.LlvmTargetMachine;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmEmitted;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The LSTM kernel is threaded with barriers, so its storage parameters are not {@code noalias}; the alias-scope
 * metadata (codegen-llvm {@code AliasScopes}) must still let O3 vectorize its gate loop, whose inline exp is slower
 * than libm's when it runs scalar. Checked on the optimized IR: the lstm kernel has vector exponent-bit arithmetic
 * ({@code <N x i32>} shift by 23, only the inline exp's 2^n makes it), no scalar one, and no libm call. With
 * {@code -Dkiln.llvm.aliasScopes=false} the scalar check fails (batch 1: 4 vector and 12 scalar exponent shifts,
 * against 20 and 0 with the metadata).
 */
@Tag("llvm")
class LstmGateLoopTest {
  @ParameterizedTest
  @ValueSource(ints = {1, 8})
  void gateLoopVectorizesInTheThreadedKernel(int batch) throws Exception {
    Path pt = Path.of("fixtures/models/lstm/frozen.pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = Npy.read(Path.of("fixtures/models/lstm/input.npy"));
    long[] shape = input.shape().clone();
    shape[1] = batch;
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), shape)));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(m.graph(), m.weights()));
    TargetSpec host = TargetSpec.host();
    LlvmEmitted e = LlvmBackend.emit(opt.graph(), opt.weights(), LlvmOptions.defaults());
    try (var module = e.module(); LlvmTargetMachine tm = new LlvmTargetMachine(host)) {
      tm.configure(module);
      tm.optimize(module, LlvmTargetMachine.O3);
      String ir = module.print();
      Matcher fn = Pattern.compile("define [^\\n]*@(kiln_run_k\\d+_lstm[^(]*)\\(").matcher(ir);
      assertTrue(fn.find(), "no lstm kernel in the module");
      int start = fn.start();
      String body = ir.substring(start, ir.indexOf("\n}\n", start));
      assertTrue(body.contains("kiln_barrier"), "the lstm kernel is expected to be threaded with barriers");
      assertFalse(body.contains("@expf") || body.contains("@llvm.exp."), "lstm kernel calls libm exp");
      assertTrue(Pattern.compile("shl (nuw |nsw )*<\\d+ x i32> [^\\n]*23").matcher(body).find(),
          fn.group(1) + ": the gate loop's exp was not vectorized:\n" + body);
      // Without the metadata one gate loop vectorizes and the others stay scalar: none may.
      assertFalse(Pattern.compile("shl (nuw |nsw )*i32 [^\\n]*23").matcher(body).find(),
          fn.group(1) + ": an exp is still scalar:\n" + body);
    }
  }
}
