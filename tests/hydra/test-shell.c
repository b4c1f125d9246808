#define G_LOG_DOMAIN "cmdb-test"

/* The shell layer: quoting for display, POSIX word splitting (checked
 * against the real /bin/sh), the pretty multi-line form and the output
 * line classes. */

#include "test-util.h"
#include "cmdbuilder.h"

#include <gio/gio.h>
#include <string.h>

/* Runs @display as the arguments of a shell function and returns the words
 * the real /bin/sh made of it (transfer full), NULL-terminated. */
static char **
words_from_sh (const char *display)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *script = g_strdup_printf (
      "show() { for a in \"$@\"; do printf '%%s\\0' \"$a\"; done; }\nshow %s\n", display);
  g_autoptr (GSubprocess) process
      = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                          "/bin/sh", "-c", script, NULL);
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GBytes) err = NULL;
  g_autoptr (GPtrArray) words = g_ptr_array_new ();
  const char *data;
  gsize size;
  gsize start = 0;

  assert_non_null (process);
  if (!g_subprocess_communicate (process, NULL, NULL, &out, &err, &error))
    fail_msg ("/bin/sh: %s", error->message);
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    fail_msg ("/bin/sh failed on: %s\n%s", display, (const char *) g_bytes_get_data (err, NULL));
  data = g_bytes_get_data (out, &size);
  for (gsize i = 0; i < size; i++)
    if (data[i] == '\0')
      {
        g_ptr_array_add (words, g_strndup (data + start, i - start));
        start = i + 1;
      }
  g_ptr_array_add (words, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&words), FALSE);
}

static char **
split_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  char **argv = NULL;

  if (!cmdb_shell_split (text, &argv, &error))
    fail_msg ("splitting <%s> failed: %s", text, error->message);
  return argv;
}

static void
assert_words (char *const *actual, const char *const *expected, const char *what)
{
  guint n = g_strv_length ((char **) actual);

  if (n != g_strv_length ((char **) expected))
    fail_msg ("%s: %u words, expected %u", what, n, g_strv_length ((char **) expected));
  for (guint i = 0; i < n; i++)
    if (strcmp (actual[i], expected[i]) != 0)
      fail_msg ("%s: word %u is <%s>, expected <%s>", what, i, actual[i], expected[i]);
}

/* ------------------------------------------------------------------------ */

static void
test_quote (void **state)
{
  static const struct
  {
    const char *token;
    const char *quoted;
  } cases[] = {
    { "exp_name=ocr_training-dbnet-unet-resnet18", "exp_name=ocr_training-dbnet-unet-resnet18" },
    { "model.optimizer.lr=1e-05", "model.optimizer.lr=1e-05" },
    { "+preset/datasets=preprocessing", "+preset/datasets=preprocessing" },
    { "a=x,y", "a=x,y" },
    { "k=[a,b]", "'k=[a,b]'" },
    { "k=\"a b\"", "'k=\"a b\"'" },
    { "it's", "'it'\\''s'" },
    { "", "''" },
    { "$HOME", "'$HOME'" },
    { "~/x", "'~/x'" },
    { "*.py", "'*.py'" },
    { "a\nb", "'a\nb'" },
    { "é", "'é'" },
    { "{a,b}", "'{a,b}'" },
    { "#x", "'#x'" },
    { "a!b", "'a!b'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *quoted = cmdb_shell_quote (cases[i].token);

      assert_string_equal (quoted, cases[i].quoted);
    }
}

static void
test_join (void **state)
{
  static const char *const argv[] = { "uv",
                                      "run",
                                      "python",
                                      "/proj dir/runners/train.py",
                                      "exp_name=ocr_training",
                                      "data.path=\"/path with spaces\"",
                                      "resume=\"outputs/x/checkpoints/epoch=1-step=2.ckpt\"",
                                      NULL };
  static const char *const assignment[] = { "FOO=bar", "x", NULL };
  static const char *const reserved[] = { "if", "then", NULL };
  g_autofree char *text = cmdb_shell_join (argv);
  g_autofree char *first = cmdb_shell_join (assignment);
  g_autofree char *keyword = cmdb_shell_join (reserved);
  g_auto (GStrv) back = split_ok (text);
  g_auto (GStrv) from_sh = words_from_sh (text);

  assert_string_equal (text, "uv run python '/proj dir/runners/train.py' exp_name=ocr_training "
                             "'data.path=\"/path with spaces\"' "
                             "'resume=\"outputs/x/checkpoints/epoch=1-step=2.ckpt\"'");
  assert_words (back, argv, "split of the joined text");
  assert_words (from_sh, argv, "/bin/sh on the joined text");
  /* A first word with `=` would be a shell assignment; `if` a keyword. */
  assert_string_equal (first, "'FOO=bar' x");
  assert_string_equal (keyword, "'if' then");
}

/* Each POSIX rule, and /bin/sh agrees on every case. */
static void
test_split_rules (void **state)
{
  /* same_in_sh: FALSE where sh differs on purpose: it expands ($, ~, *)
   * and ends a command at an unescaped newline, which splitting reads as a
   * blank (an edited command may span lines). */
  static const struct
  {
    const char *text;
    gboolean same_in_sh;
    const char *words[6];
  } cases[] = {
    { "a b\tc", TRUE, { "a", "b", "c" } },
    { "  a   b  ", TRUE, { "a", "b" } },
    { "a\nb\n\nc", FALSE, { "a", "b", "c" } },
    { "'a b' 'c\"d'", TRUE, { "a b", "c\"d" } },
    { "'a\\b'", TRUE, { "a\\b" } },
    { "\"a b\" \"c'd\"", TRUE, { "a b", "c'd" } },
    { "\"a\\\"b\" \"c\\\\d\" \"e\\$f\" \"g\\`h\"", TRUE, { "a\"b", "c\\d", "e$f", "g`h" } },
    { "\"a\\b\" \"\\n\"", TRUE, { "a\\b", "\\n" } },
    { "a\\ b c\\'d e\\\"f", TRUE, { "a b", "c'd", "e\"f" } },
    { "a\\\\b \\x", TRUE, { "a\\b", "x" } },
    { "a\\\nb c \\\n d", TRUE, { "ab", "c", "d" } },
    { "\"a\\\nb\"", TRUE, { "ab" } },
    { "a'b'\"c\"d", TRUE, { "abcd" } },
    { "'' \"\" x", TRUE, { "", "", "x" } },
    { "$HOME ${x} ~ *.py a=b", FALSE, { "$HOME", "${x}", "~", "*.py", "a=b" } },
    { "\"$HOME\"", FALSE, { "$HOME" } },
    { "a # comment", TRUE, { "a" } },
    { "a # comment\nb", FALSE, { "a", "b" } },
    { "a#b c", TRUE, { "a#b", "c" } },
    { "'a\nb' é 中文", TRUE, { "a\nb", "é", "中文" } },
    { "", TRUE, { NULL } },
    { "   \t ", TRUE, { NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (GStrv) ours = split_ok (cases[i].text);
      g_autofree char *what = g_strdup_printf ("split of <%s>", cases[i].text);

      assert_words (ours, cases[i].words, what);
      if (cases[i].same_in_sh)
        {
          g_auto (GStrv) theirs = words_from_sh (cases[i].text);

          assert_words (theirs, cases[i].words, "/bin/sh");
        }
    }
}

/* One test per split error; each asserts the exact message. */
typedef struct
{
  const char *text;
  const char *message;
} SplitError;

static void
test_split_error (void **state)
{
  const SplitError *bad = *state;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) argv = NULL;

  assert_false (cmdb_shell_split (bad->text, &argv, &error));
  assert_null (argv);
  assert_true (g_error_matches (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_SPLIT));
  assert_string_equal (error->message, bad->message);
}

static const SplitError unbalanced_single = {
  "python train.py 'exp_name=x",
  "the single quote at line 1, column 17 is never closed",
};
static const SplitError unbalanced_double = {
  "a \"b\" c \"d",
  "the double quote at line 1, column 9 is never closed",
};
static const SplitError unbalanced_on_second_line = {
  "a \\\n  é 'b",
  "the single quote at line 2, column 5 is never closed",
};
static const SplitError single_inside_double = {
  "\"it's",
  "the double quote at line 1, column 1 is never closed",
};
static const SplitError trailing_backslash = {
  "a b\\",
  "a backslash at line 1, column 4 ends the text: it escapes nothing",
};
static const SplitError pipe_operator = {
  "python train.py | tee log",
  "the unquoted '|' at line 1, column 17 is shell syntax (a pipe, redirection, list or "
  "substitution), which a command cannot use; quote it to pass it as text",
};
static const SplitError redirection = {
  "python train.py 2>&1",
  "the unquoted '>' at line 1, column 18 is shell syntax (a pipe, redirection, list or "
  "substitution), which a command cannot use; quote it to pass it as text",
};
static const SplitError command_substitution = {
  "a `date`",
  "the unquoted '`' at line 1, column 3 is shell syntax (a pipe, redirection, list or "
  "substitution), which a command cannot use; quote it to pass it as text",
};

static void
test_pretty (void **state)
{
  static const char *const argv[]
      = { "uv",      "run",          "python", "/proj/runners/train.py", "exp_name=ocr_training",
          "k=[a,b]", "msg=\"it's\"", NULL };
  static const char *const short_argv[] = { "uv", "run", NULL };
  g_autofree char *pretty = cmdb_shell_format_pretty (argv, 4);
  g_autofree char *head_only = cmdb_shell_format_pretty (short_argv, 4);
  g_autofree char *zero_head = cmdb_shell_format_pretty (short_argv, 0);
  g_auto (GStrv) back = split_ok (pretty);
  g_auto (GStrv) from_sh = words_from_sh (pretty);

  assert_string_equal (pretty, "uv run python /proj/runners/train.py \\\n"
                               "  exp_name=ocr_training \\\n"
                               "  'k=[a,b]' \\\n"
                               "  'msg=\"it'\\''s\"'");
  assert_words (back, argv, "split of the pretty text");
  assert_words (from_sh, argv, "/bin/sh on the pretty text");
  assert_string_equal (head_only, "uv run");
  assert_string_equal (zero_head, "uv \\\n  run");
}

static void
test_pretty_text (void **state)
{
  g_autofree char *good = cmdb_shell_format_pretty_text ("uv run python t.py 'a=\"x y\"' b=1", 4);
  g_autofree char *bad = cmdb_shell_format_pretty_text ("uv run python t.py 'a=x b=1", 4);
  g_auto (GStrv) back = NULL;
  static const char *const fallback_words[]
      = { "uv", "run", "python", "t.py", "'a=x", "b=1", NULL };

  assert_string_equal (good, "uv run python t.py \\\n  'a=\"x y\"' \\\n  b=1");
  assert_string_equal (bad, "# Note: best-effort formatting due to quoting error: the single "
                            "quote at line 1, column 20 is never closed\n"
                            "uv run python t.py \\\n  ''\\''a=x' \\\n  b=1");
  /* The fallback text is itself valid: the note is a comment. */
  back = split_ok (bad);
  assert_words (back, fallback_words, "split of the fallback text");
}

static void
test_classify (void **state)
{
  static const struct
  {
    const char *line;
    CmdbShellLineClass line_class;
  } cases[] = {
    { "Epoch 3: loss=0.12", CMDB_SHELL_LINE_METRICS },
    { "epoch 3 failed, LOSS nan", CMDB_SHELL_LINE_METRICS },
    { "RuntimeError: CUDA out of memory", CMDB_SHELL_LINE_ERROR },
    { "Traceback (most recent call last):", CMDB_SHELL_LINE_ERROR },
    { "an Exception occurred", CMDB_SHELL_LINE_ERROR },
    { "job FAILED", CMDB_SHELL_LINE_ERROR },
    { "UserWarning: deprecated", CMDB_SHELL_LINE_WARNING },
    { "Training completed", CMDB_SHELL_LINE_SUCCESS },
    { "done.", CMDB_SHELL_LINE_SUCCESS },
    { "Success", CMDB_SHELL_LINE_SUCCESS },
    { "  [12/100] step", CMDB_SHELL_LINE_PROGRESS },
    { "[no close", CMDB_SHELL_LINE_PLAIN },
    { "x [1/2]", CMDB_SHELL_LINE_PLAIN },
    { "loading data", CMDB_SHELL_LINE_PLAIN },
    { "", CMDB_SHELL_LINE_PLAIN },
    { "   \t", CMDB_SHELL_LINE_PLAIN },
    { NULL, CMDB_SHELL_LINE_PLAIN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CmdbShellLineClass got = cmdb_shell_classify_line (cases[i].line);

      if (got != cases[i].line_class)
        fail_msg ("<%s> is %s, expected %s", cases[i].line ? cases[i].line : "(null)",
                  cmdb_shell_line_class_to_string (got),
                  cmdb_shell_line_class_to_string (cases[i].line_class));
    }
  assert_string_equal (cmdb_shell_line_class_to_string (CMDB_SHELL_LINE_PROGRESS), "progress");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_quote),
    cmocka_unit_test (test_join),
    cmocka_unit_test (test_split_rules),
    cmocka_unit_test_prestate (test_split_error, (void *) &unbalanced_single),
    cmocka_unit_test_prestate (test_split_error, (void *) &unbalanced_double),
    cmocka_unit_test_prestate (test_split_error, (void *) &unbalanced_on_second_line),
    cmocka_unit_test_prestate (test_split_error, (void *) &single_inside_double),
    cmocka_unit_test_prestate (test_split_error, (void *) &trailing_backslash),
    cmocka_unit_test_prestate (test_split_error, (void *) &pipe_operator),
    cmocka_unit_test_prestate (test_split_error, (void *) &redirection),
    cmocka_unit_test_prestate (test_split_error, (void *) &command_substitution),
    cmocka_unit_test (test_pretty),
    cmocka_unit_test (test_pretty_text),
    cmocka_unit_test (test_classify),
  };

  return cmocka_run_group_tests_name ("hydra-shell", tests, NULL, NULL);
}
