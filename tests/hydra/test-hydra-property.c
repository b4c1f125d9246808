#define G_LOG_DOMAIN "cmdb-test"

/* Acceptance property: for thousands of random strings (seeded, so a
 * failure can be replayed) typed as free text,
 *   1. the rendered override `k=<value>` reads back, with the override
 *      reader, as exactly that string (value type str);
 *   2. the display text of argv ["prog", tokens...] made by cmdb_shell_join,
 *      run as a command by the real /bin/sh, gives back exactly the tokens;
 *   3. cmdb_shell_split of that text gives the same argv;
 *   4. the same holds for the pretty multi-line form.
 * Lists of random strings are checked the same way. Many strings go to
 * one /bin/sh run, so the whole test takes seconds.
 *
 * CMDB_TEST_SEED=<n> replays another seed. */

#include "test-util.h"
#include "cmdbuilder.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SEED 20240607u
#define N_STRINGS 12000
#define N_LISTS 1500
#define BATCH_TEXT_LIMIT 48000 /* bytes of display text per /bin/sh run */
#define MAX_REPORTED 25

/* Pieces random strings are made of: what breaks quoting (quotes,
 * backslashes, `$`, `${}`, commas, blanks, newlines, shell and Hydra syntax,
 * non-ASCII) and words that read as constants when bare. */
static const char *const pieces[] = {
  "a",     "b",     "Z",    "0",        "7",   "_",     "-",      ".",
  "/",     "+",     "@",    "%",        ":",   "$",     "\"",     "'",
  "\\",    "\\\\",  "\\\"", "${",       "}",   "{",     "${a.b}", "${oc.env:USER,me}",
  "$HOME", ",",     " ",    "  ",       "\t",  "\n",    "\r",     "=",
  "[",     "]",     "(",    ")",        "#",   "!",     "~",      "*",
  "?",     "|",     ";",    "&",        "<",   ">",     "`",      "^",
  "é",     "中",    "😀",    "\xc2\xa0", "1e5", "null",  "true",   "False",
  "inf",   "-inf",  "nan",  "123",      "-3",  "1_000", ".5",     "5.",
  "0x10",  "'\\''", "\"\"", "\\\\\"",   "\\'",
};

/* Whole values that Hydra would read as constants if written bare. */
static const char *const constants[] = {
  "1e5",   "NULL",  "True", "inf", "nan",   "-0",   "+1",   "3.14",
  "1e-05", "1_000", ".5",   "5.",  "false", "-inf", "Null", "0",
};

static char *
random_string (GRand *rand)
{
  GString *out = g_string_new (NULL);
  guint n;

  if (g_rand_int_range (rand, 0, 10) == 0)
    {
      g_string_append (out, constants[g_rand_int_range (rand, 0, G_N_ELEMENTS (constants))]);
      return g_string_free (out, FALSE);
    }
  n = g_rand_int_range (rand, 0, 11);
  for (guint i = 0; i < n; i++)
    g_string_append (out, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
  return g_string_free (out, FALSE);
}

typedef struct
{
  GString *report;
  guint n_failures;
  guint n_sh_runs;
} Check;

static void G_GNUC_PRINTF (2, 3) check_fail (Check *check, const char *format, ...)
{
  va_list args;

  check->n_failures++;
  if (check->n_failures > MAX_REPORTED)
    return;
  va_start (args, format);
  g_string_append_vprintf (check->report, format, args);
  va_end (args);
  g_string_append_c (check->report, '\n');
}

static char *
shown (const char *text)
{
  return g_strescape (text, NULL);
}

/* Runs @script with /bin/sh and returns its NUL-separated output words
 * (transfer full). */
static GPtrArray *
run_sh (const char *script)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process
      = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                          "/bin/sh", "-c", script, NULL);
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GBytes) err = NULL;
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  const char *data;
  gsize size;
  gsize start = 0;

  if (process == NULL)
    fail_msg ("cannot start /bin/sh: %s", error->message);
  if (!g_subprocess_communicate (process, NULL, NULL, &out, &err, &error))
    fail_msg ("/bin/sh: %s", error->message);
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    fail_msg ("/bin/sh failed: %s", (const char *) g_bytes_get_data (err, NULL));
  data = g_bytes_get_data (out, &size);
  for (gsize i = 0; i < size; i++)
    if (data[i] == '\0')
      {
        g_ptr_array_add (words, g_strndup (data + start, i - start));
        start = i + 1;
      }
  return words;
}

static void
compare_words (Check *check, const char *what, char *const *words, guint n_words,
               const char *const *expected)
{
  guint n_expected = g_strv_length ((char **) expected);

  if (n_words != n_expected)
    {
      check_fail (check, "%s: %u words, expected %u", what, n_words, n_expected);
      return;
    }
  for (guint i = 0; i < n_words; i++)
    if (strcmp (words[i], expected[i]) != 0)
      {
        g_autofree char *got = shown (words[i]);
        g_autofree char *want = shown (expected[i]);

        check_fail (check, "%s: word %u is \"%s\", expected \"%s\"", what, i, got, want);
      }
}

/* Checks one batch of tokens through the display text, the pretty text,
 * cmdb_shell_split and one /bin/sh run. */
static void
check_batch (Check *check, GPtrArray *tokens)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GPtrArray) words = NULL;
  g_autofree char *display = NULL;
  g_autofree char *pretty = NULL;
  g_autofree char *script = NULL;
  g_auto (GStrv) split_display = NULL;
  g_auto (GStrv) split_pretty = NULL;
  g_autoptr (GError) error = NULL;
  guint n_tokens = tokens->len;

  g_ptr_array_add (argv, "prog");
  for (guint i = 0; i < tokens->len; i++)
    g_ptr_array_add (argv, tokens->pdata[i]);
  g_ptr_array_add (argv, NULL);
  display = cmdb_shell_join ((const char *const *) argv->pdata);
  pretty = cmdb_shell_format_pretty ((const char *const *) argv->pdata, 1);

  if (!cmdb_shell_split (display, &split_display, &error))
    check_fail (check, "cmdb_shell_split refused the display text: %s", error->message);
  else
    compare_words (check, "cmdb_shell_split (display)", split_display,
                   g_strv_length (split_display), (const char *const *) argv->pdata);
  g_clear_error (&error);
  if (!cmdb_shell_split (pretty, &split_pretty, &error))
    check_fail (check, "cmdb_shell_split refused the pretty text: %s", error->message);
  else
    compare_words (check, "cmdb_shell_split (pretty)", split_pretty, g_strv_length (split_pretty),
                   (const char *const *) argv->pdata);

  /* The display text is shell code here: `prog` is a function printing
   * its arguments, so sh itself does the word splitting. A lone \1 word
   * separates the two runs. */
  script = g_strdup_printf ("prog() { for a in \"$@\"; do printf '%%s\\0' \"$a\"; done; }\n"
                            "%s\n"
                            "printf '\\001\\0'\n"
                            "%s\n",
                            display, pretty);
  words = run_sh (script);
  check->n_sh_runs++;
  if (words->len != 2 * n_tokens + 1 || strcmp (words->pdata[n_tokens], "\001") != 0)
    {
      check_fail (check, "/bin/sh gave %u words for 2 x %u tokens", words->len, n_tokens);
      return;
    }
  compare_words (check, "/bin/sh (display)", (char **) words->pdata, n_tokens,
                 (const char *const *) argv->pdata + 1);
  compare_words (check, "/bin/sh (pretty)", (char **) words->pdata + n_tokens + 1, n_tokens,
                 (const char *const *) argv->pdata + 1);
}

/* The token reads back as exactly @expected. */
static void
check_reads_back (Check *check, const char *token, JsonNode *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbHydraOverride) override = cmdb_hydra_override_parse (token, &error);
  g_autofree char *token_shown = shown (token);

  if (override == NULL)
    {
      check_fail (check, "\"%s\" does not read back: %s", token_shown, error->message);
      return;
    }
  if (JSON_NODE_HOLDS_VALUE (expected) && override->value_type != CMDB_HYDRA_VALUE_STRING)
    {
      check_fail (check, "\"%s\" reads back as a %s, not a str", token_shown,
                  cmdb_hydra_value_type_to_string (override->value_type));
      return;
    }
  if (!json_node_equal (expected, override->value))
    {
      g_autofree char *got = json_to_string (override->value, FALSE);
      g_autofree char *want = json_to_string (expected, FALSE);

      check_fail (check, "\"%s\" reads back as %s, expected %s", token_shown, got, want);
    }
}

static guint
get_seed (void)
{
  const char *text = g_getenv ("CMDB_TEST_SEED");

  return text != NULL ? (guint) strtoul (text, NULL, 10) : DEFAULT_SEED;
}

static void
test_round_trip_through_sh (void **state)
{
  guint seed = get_seed ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) report = g_string_new (NULL);
  Check check = { report, 0, 0 };
  gsize batch_bytes = 0;
  guint n_quoted = 0;

  for (guint i = 0; i < N_STRINGS + N_LISTS; i++)
    {
      g_autoptr (JsonNode) node = NULL;
      g_autoptr (GError) error = NULL;
      char *token;

      if (i < N_STRINGS)
        {
          g_autofree char *value = random_string (rand);

          node = json_node_new (JSON_NODE_VALUE);
          json_node_set_string (node, value);
        }
      else
        {
          g_autoptr (JsonArray) array = json_array_new ();
          guint n = g_rand_int_range (rand, 1, 4);

          for (guint k = 0; k < n; k++)
            {
              g_autofree char *value = random_string (rand);

              json_array_add_string_element (array, value);
            }
          node = json_node_new (JSON_NODE_ARRAY);
          json_node_set_array (node, array);
        }

      token = cmdb_hydra_format_override ("k", node, CMDB_HYDRA_STYLE_TEXT, &error);
      if (token == NULL)
        {
          check_fail (&check, "rendering failed: %s", error->message);
          continue;
        }
      n_quoted += strchr (token, '"') != NULL;
      check_reads_back (&check, token, node);
      batch_bytes += strlen (token) + 8;
      g_ptr_array_add (batch, token);
      if (batch_bytes > BATCH_TEXT_LIMIT)
        {
          check_batch (&check, batch);
          g_ptr_array_set_size (batch, 0);
          batch_bytes = 0;
        }
    }
  if (batch->len > 0)
    check_batch (&check, batch);

  print_message ("# seed %u: %u values, %u quoted, %u /bin/sh runs, %u failure(s)\n", seed,
                 N_STRINGS + N_LISTS, n_quoted, check.n_sh_runs, check.n_failures);
  if (check.n_failures > 0)
    fail_msg ("%u failure(s) with seed %u (first ones):\n%s", check.n_failures, seed, report->str);
  /* The generator really exercises both paths. */
  assert_true (n_quoted > N_STRINGS / 2);
  assert_true (n_quoted < N_STRINGS + N_LISTS);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_round_trip_through_sh),
  };

  return cmocka_run_group_tests_name ("hydra-property", tests, NULL, NULL);
}
