#define G_LOG_DOMAIN "cmdb-test"

#include "state-fixtures.h"

#include <string.h>

const CmdbTestStateFixture cmdb_test_state_fixtures[] = {
  { "state-2026-12-01",
    "/tmp/cmdb-release-2026-12-01/ocr-workspace",
    { { "20261207-023801-test-cacc", "test", "stopped", 143, "runners/test.py" },
      { "20261207-023758-train-a4bf", "train", "failed", 1, "runners/train.py" },
      { "20261207-023749-train-9bb2", "train", "succeeded", 0, "runners/train.py" } } },
  { "state-2026-12-07",
    "/tmp/cmdb-format-2-2026-12-07/ocr-workspace",
    { { "20261207-032526-test-b3a0", "test", "stopped", 143, "runners/test.py" },
      { "20261207-032525-train-d095", "train", "failed", 1, "runners/train.py" },
      { "20261207-032520-train-c7ec", "train", "succeeded", 0, "runners/train.py" } } },
};
const guint cmdb_test_n_state_fixtures = G_N_ELEMENTS (cmdb_test_state_fixtures);

char *
cmdb_test_make_newer_format (const char *text)
{
  g_autoptr (GRegex) version = g_regex_new ("\"version\"\\s*:\\s*[0-9]+", 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  const char *brace = strchr (text, '{');
  int start = 0;
  int end = 0;

  /* The first one: the object's own, written first. */
  if (g_regex_match (version, text, 0, &match) && g_match_info_fetch_pos (match, 0, &start, &end))
    return g_strdup_printf ("%.*s\"version\": 99%s", start, text, text + end);
  g_assert (brace != NULL);
  return g_strdup_printf ("%.*s{\"version\": 99, %s", (int) (brace - text), text, brace + 1);
}

int
cmdb_test_run_per_state_fixture (const char *group, const struct CMUnitTest *each, gsize n_tests)
{
  g_autoptr (GArray) tests = g_array_new (FALSE, FALSE, sizeof (struct CMUnitTest));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint f = 0; f < cmdb_test_n_state_fixtures; f++)
    for (gsize i = 0; i < n_tests; i++)
      {
        struct CMUnitTest test = each[i];
        char *name = g_strdup_printf ("%s/%s", cmdb_test_state_fixtures[f].name, each[i].name);

        g_ptr_array_add (names, name);
        test.name = name;
        test.initial_state = (void *) &cmdb_test_state_fixtures[f];
        g_array_append_val (tests, test);
      }
  return _cmocka_run_group_tests (group, (const struct CMUnitTest *) tests->data, tests->len, NULL,
                                  NULL);
}
