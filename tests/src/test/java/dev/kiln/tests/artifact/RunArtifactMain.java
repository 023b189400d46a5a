package dev.kiln.tests.artifact;

import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.KilnModel;
import java.nio.file.Path;
import java.util.List;

/**
 * What a service does, as a program of its own for {@link FreshJvmArtifactTest} to start in a new JVM:
 * {@code RunArtifactMain MODEL.kiln INPUT.npy... -- OUTPUT.npy...} loads the artifact with {@link KilnModel}, runs it
 * once on the inputs (in signature order) and writes each output. Uses kiln-runtime (and kiln-ir through it) only,
 * so the child JVM's class path can leave out the frontend, the passes, the backends and ASM.
 */
public final class RunArtifactMain {
  private RunArtifactMain() {}

  public static void main(String[] args) throws java.io.IOException {
    int sep = List.of(args).indexOf("--");
    if (args.length < 2 || sep < 1) {
      System.err.println("usage: RunArtifactMain MODEL.kiln INPUT.npy... -- OUTPUT.npy...");
      System.exit(2);
    }
    KilnModel model = KilnModel.load(Path.of(args[0]));
    Tensor[] inputs = new Tensor[sep - 1];
    for (int i = 0; i < inputs.length; i++) inputs[i] = Npy.read(Path.of(args[i + 1]));
    List<Tensor> outputs = model.run(inputs);
    if (outputs.size() != args.length - sep - 1)
      throw new IllegalArgumentException(model.signature() + " has " + outputs.size() + " outputs, got " + (args.length - sep - 1) + " output files");
    for (int i = 0; i < outputs.size(); i++) Npy.write(Path.of(args[sep + 1 + i]), outputs.get(i));
    System.out.println("ran " + model.manifest().backend() + " " + model.signature());
  }
}
