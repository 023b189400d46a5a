/* classify: runs an image classifier compiled by `kiln compile --emit-c-bundle` and prints its top classes.
 *
 * Needs no Kiln library and no JVM: only the bundle's object file (or shared library), its header and its
 * weights file. Build with the Makefile beside this file, or by hand:
 *
 *   gcc -O2 -std=c11 -DMODEL=resnet18 -DMODEL_UPPER=RESNET18 -Ibundle main.c bundle/resnet18.o -lm -o classify
 *
 * Usage: classify [--weights FILE] [--top K] [--labels FILE] [--out FILE] [--time N] INPUT
 *   INPUT      a .npy file of float32 (little-endian, C order) with the model's input shape, or a raw file of
 *              exactly MODEL_IN0_BYTES bytes of float32
 *   --weights  the bundle's weights file (default: BUNDLE_DIR/<name>.weights, as built)
 *   --top      how many classes to print per image (default 5)
 *   --labels   a text file with one class name per line
 *   --out      also write the raw float32 output to FILE
 *   --time     run N more times and print the fastest and median time
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef MODEL
#error "define MODEL (the bundle name, e.g. -DMODEL=resnet18) and MODEL_UPPER (e.g. -DMODEL_UPPER=RESNET18)"
#endif
#ifndef BUNDLE_DIR
#define BUNDLE_DIR "."
#endif

#define STR_(x) #x
#define STR(x) STR_(x)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#include STR(MODEL.h)

/* The bundle's names, e.g. resnet18_run and RESNET18_WORKSPACE_BYTES. */
#define MODEL_RUN CAT(MODEL, _run)
#define M(suffix) CAT(MODEL_UPPER, suffix)

#if M(_NUM_INPUTS) != 1 || M(_NUM_OUTPUTS) != 1
#error "this sample handles models with one input and one output"
#endif

typedef CAT(MODEL, _in0_t) in_t;
typedef CAT(MODEL, _out0_t) out_t;

static void die(const char *what, const char *file) {
  fprintf(stderr, "classify: %s%s%s\n", file ? file : "", file ? ": " : "", what);
  exit(1);
}

/* A 64-byte aligned buffer of at least `bytes` (the bundle's regions must be aligned). */
static void *aligned(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (!p) die("out of memory", NULL);
  return p;
}

static unsigned char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) die("cannot open", path);
  if (fseek(f, 0, SEEK_END) != 0) die("cannot seek", path);
  long n = ftell(f);
  rewind(f);
  unsigned char *data = aligned((size_t) n);
  if (n > 0 && fread(data, 1, (size_t) n, f) != (size_t) n) die("cannot read", path);
  fclose(f);
  *size = (size_t) n;
  return data;
}

static uint64_t fnv1a64(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

/* Checks a .npy header (version 1-3, '<f4', C order, the model's input shape); returns the data offset. */
static size_t npy_data_offset(const unsigned char *d, size_t n, const char *path) {
  if (n < 10 || memcmp(d, "\x93NUMPY", 6) != 0) die("not a .npy file (no \\x93NUMPY magic)", path);
  size_t header, start;
  if (d[6] == 1) {
    header = d[8] | (size_t) d[9] << 8;
    start = 10;
  } else {
    if (n < 12) die("truncated .npy header", path);
    header = d[8] | (size_t) d[9] << 8 | (size_t) d[10] << 16 | (size_t) d[11] << 24;
    start = 12;
  }
  if (start + header > n) die("truncated .npy header", path);
  char *h = malloc(header + 1);
  memcpy(h, d + start, header);
  h[header] = 0;
  if (!strstr(h, "'descr': '<f4'")) die("expected dtype '<f4' (float32, little-endian) in the .npy header", path);
  if (!strstr(h, "'fortran_order': False")) die("expected C order ('fortran_order': False) in the .npy header", path);
  const char *s = strstr(h, "'shape': (");
  if (!s) die("no 'shape' in the .npy header", path);
  s += strlen("'shape': (");
  static const long long want[] = M(_IN0_SHAPE);
  for (int i = 0; i < M(_IN0_RANK); i++) {
    char *end;
    long long dim = strtoll(s, &end, 10);
    if (end == s || dim != want[i]) {
      fprintf(stderr, "classify: %s: dimension %d of the input is not %lld (the model takes shape", path, i, want[i]);
      for (int j = 0; j < M(_IN0_RANK); j++) fprintf(stderr, "%s%lld", j ? "," : " ", want[j]);
      fprintf(stderr, ")\n");
      exit(1);
    }
    s = end;
    while (*s == ',' || *s == ' ') s++;
  }
  if (*s != ')') die("the input has more dimensions than the model takes", path);
  free(h);
  return start + header;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_double(const void *a, const void *b) {
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void print_top(const out_t *out, char **labels, size_t nlabels, int top) {
  static const long long shape[] = M(_OUT0_SHAPE);
  size_t rows = M(_OUT0_RANK) >= 2 ? (size_t) shape[0] : 1;
  size_t classes = (size_t) M(_OUT0_NUMEL) / rows;
  if (top > (int) classes) top = (int) classes;
  for (size_t r = 0; r < rows; r++) {
    const out_t *row = out + r * classes;
    double max = row[0], sum = 0;
    for (size_t c = 1; c < classes; c++) if (row[c] > max) max = row[c];
    for (size_t c = 0; c < classes; c++) sum += exp(row[c] - max);
    printf("image %zu: top-%d of %zu classes\n", r, top, classes);
    char *taken = calloc(classes, 1);
    for (int k = 0; k < top; k++) {
      size_t best = classes;
      for (size_t c = 0; c < classes; c++)
        if (!taken[c] && (best == classes || row[c] > row[best])) best = c;
      taken[best] = 1;
      printf("  %d. class %zu  logit %.6f  p %.4f%s%s\n", k + 1, best, (double) row[best], exp(row[best] - max) / sum,
             best < nlabels ? "  " : "", best < nlabels ? labels[best] : "");
    }
    free(taken);
  }
}

int main(int argc, char **argv) {
  const char *weights_path = BUNDLE_DIR "/" M(_WEIGHTS_FILE), *labels_path = NULL, *out_path = NULL, *input_path = NULL;
  int top = 5, repeat = 0;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--weights") == 0) weights_path = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--top") == 0) top = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "--labels") == 0) labels_path = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--out") == 0) out_path = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--time") == 0) repeat = atoi(argv[++i]);
    else if (argv[i][0] != '-' && !input_path) input_path = argv[i];
    else die("usage: classify [--weights FILE] [--top K] [--labels FILE] [--out FILE] [--time N] INPUT", NULL);
  }
  if (!input_path) die("usage: classify [--weights FILE] [--top K] [--labels FILE] [--out FILE] [--time N] INPUT", NULL);

  size_t wbytes;
  unsigned char *weights = read_file(weights_path, &wbytes);
  if (wbytes != M(_WEIGHTS_BYTES)) {
    fprintf(stderr, "classify: %s: %zu bytes, the bundle's weights have %llu\n", weights_path, wbytes, M(_WEIGHTS_BYTES));
    return 1;
  }
  if (fnv1a64(weights, wbytes) != M(_WEIGHTS_FNV1A64)) die("checksum differs: not the weights of this bundle", weights_path);

  size_t ibytes;
  unsigned char *file = read_file(input_path, &ibytes);
  size_t at = 0;
  if (ibytes >= 6 && memcmp(file, "\x93NUMPY", 6) == 0) at = npy_data_offset(file, ibytes, input_path);
  if (ibytes - at != M(_IN0_BYTES)) {
    fprintf(stderr, "classify: %s: %zu bytes of data, the model's input takes %llu (float32)\n", input_path, ibytes - at,
            M(_IN0_BYTES));
    return 1;
  }
  in_t *input = aligned(M(_IN0_BYTES));
  memcpy(input, file + at, M(_IN0_BYTES));

  void *workspace = aligned(M(_WORKSPACE_BYTES));
  out_t *out = aligned(M(_OUT0_BYTES));
  int rc = MODEL_RUN(weights, workspace, input, out);
  if (rc != M(_OK)) {
    fprintf(stderr, "classify: " STR(MODEL_RUN) " returned %d\n", rc);
    return 1;
  }

  char **labels = NULL;
  size_t nlabels = 0;
  if (labels_path) {
    size_t n;
    char *text = (char *) read_file(labels_path, &n);
    labels = malloc((n + 1) * sizeof *labels);
    for (char *line = strtok(text, "\r\n"); line && nlabels < n; line = strtok(NULL, "\r\n")) labels[nlabels++] = line;
  }
  print_top(out, labels, nlabels, top);

  if (out_path) {
    FILE *f = fopen(out_path, "wb");
    if (!f || fwrite(out, 1, M(_OUT0_BYTES), f) != M(_OUT0_BYTES) || fclose(f) != 0) die("cannot write", out_path);
  }
  if (repeat > 0) {
    double *t = malloc(repeat * sizeof *t);
    for (int i = 0; i < repeat; i++) {
      double s = now_ms();
      MODEL_RUN(weights, workspace, input, out);
      t[i] = now_ms() - s;
    }
    qsort(t, repeat, sizeof *t, by_double);
    printf("%d runs: fastest %.3f ms, median %.3f ms\n", repeat, t[0], t[repeat / 2]);
  }
  return 0;
}
