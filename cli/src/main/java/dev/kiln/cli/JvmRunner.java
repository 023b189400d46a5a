package dev.kiln.cli;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kiln run MODEL --backend jvm|llvm}: compiles the model in memory with the JVM backend (or LLVM's JIT) and
 * runs it once. The backend's loops need static shapes, so every symbolic dim of the parameters is first bound to its
 * size in the actual inputs ({@code specialize=N:2}); then the optimization pipeline runs (default -O1, as
 * {@code kiln compile}, so this gives what compiling to a .kiln and running that gives).
 */
final class JvmRunner {
  private JvmRunner() {}

  /**
   * The {@code specialize} pass binding each symbolic parameter dim to its size in {@code args}, or "" when the
   * parameters are already static. Call after {@link InputBinder#bind}, which checked that a symbol has one size.
   *
   * @param args one value per parameter of {@code g}, as {@link InputBinder#bind} returns them
   */
  static String specialization(Graph g, List<Object> args) {
    Map<String, Long> sizes = new LinkedHashMap<>();
    for (int i = 0; i < g.params().size(); i++) {
      Type t = g.params().get(i).type();
      if (t instanceof OptionalType o) t = o.element();
      if (!(t instanceof TensorType tt) || !tt.shape().isRanked() || !(args.get(i) instanceof Tensor x)) continue;
      List<Dim> dims = tt.shape().dims();
      for (int d = 0; d < dims.size(); d++)
        if (dims.get(d).isSymbolic()) sizes.putIfAbsent(dims.get(d).symbol(), x.shape()[d]);
    }
    if (sizes.isEmpty()) return "";
    List<String> parts = new ArrayList<>();
    sizes.forEach((sym, n) -> parts.add(sym + ":" + n));
    return "specialize=" + String.join(";", parts);
  }

  /**
   * Specializes, optimizes, compiles and runs the model once.
   *
   * @param loaded the model as loaded (its graph is rewritten in place by the passes)
   * @param args the bound inputs, one per parameter
   * @param optimize -O / -p as given; neither means -O1
   * @param backend "jvm" (bytecode) or "llvm" (native code through LLVM's JIT, freed after the run)
   * @return the compiled model's results, one per graph result
   */
  static List<Object> run(ModelLoader.Loaded loaded, List<Object> args, OptLevelOptions optimize, String backend) {
    String spec = specialization(loaded.graph(), args);
    String chosen = optimize.pipeline(dev.kiln.passes.Pipelines.level(1));
    String pipeline = spec.isEmpty() ? chosen : chosen.isEmpty() ? spec : spec + "," + chosen;
    dev.kiln.passes.PassManager passes;
    try {
      passes = dev.kiln.passes.PassManager.parse(pipeline);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage());
    }
    Program p = passes.run(Program.of(loaded.graph(), loaded.weights()));
    if (backend.equals("llvm")) {
      try (LlvmCompiled native_ = LlvmBackend.compile(p.graph(), p.weights(), LlvmOptions.defaults())) {
        return native_.instantiate(p.weights()).run(args);
      }
    }
    return JvmBackend.compile(p.graph(), p.weights(), JvmOptions.defaults()).instantiate(p.weights()).run(args);
  }
}
