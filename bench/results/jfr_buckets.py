"""Buckets JFR execution samples taken inside a generated model's run() by kernel kind (see 2026-11-23-jvm.md,
"Where the time goes"). usage: jfr print --events jdk.ExecutionSample --stack-depth 128 X.jfr > X.txt; python3 jfr_buckets.py X.txt --detail"""
import re, sys, collections
text = open(sys.argv[1]).read()
samples = re.findall(r"stackTrace = \[\n(.*?)\n  \]", text, re.S)
kinds = collections.Counter(); detail = collections.Counter(); n = 0
for s in samples:
    frames = [re.sub(r"\s+line:.*$", "", f.strip()) for f in s.split("\n")]
    if not any(f.startswith("dev.kiln.gen.") and ".run(" in f for f in frames): continue  # only timed runs
    n += 1
    if any(f.startswith("dev.kiln.runtime.interp.") for f in frames):
        # reference call: name the op implementation just above the interpreter, if any
        op = next((f for f in frames if f.startswith("dev.kiln.runtime.") and "interp.Interpreter" not in f), frames[0])
        k = "reference call (interpreter)"; d = op.split("(")[0]
    else:
        top = next((f for f in frames if f.startswith("dev.kiln.")), frames[0])
        if top.startswith("dev.kiln.runtime.kernels."):
            k = "primitive"; d = top.split("(")[0].replace("dev.kiln.runtime.kernels.", "")
        elif top.startswith("dev.kiln.gen.") and ".run(" not in top:
            k = "loops (generated kernel methods)"; d = top.split("(")[0].replace("dev.kiln.gen.Model.", "")
        else:
            k = "run() itself (allocation, zeroing, copies, tensor wrapping)"; d = frames[0].split("(")[0]
    kinds[k] += 1; detail[(k, d)] += 1
print(f"{n} samples inside the generated run()")
for k, c in kinds.most_common(): print(f"  {c/n*100:5.1f}%  {c:6d}  {k}")
if "--detail" in sys.argv:
    for (k, d), c in detail.most_common(25): print(f"    {c/n*100:5.1f}%  {k.split(' ')[0]:10s} {d}")
