#define G_LOG_DOMAIN "cmdb-test"

/* Every error domain's quark name. G_DEFINE_QUARK stringifies its first
 * argument, so a formatter that spaced its dashes once turned
 * "cmdb-yaml-error-quark" into "cmdb - yaml - error - quark" unnoticed: names
 * show up in logs and in g_error_matches() across libraries. */

#include "test-util.h"
#include "cmdbuilder.h"
#include "host/cmdb-host-private.h"
#include "schema/cmdb-expression-private.h"
#include "cmdb-server-private.h"
#include "state/cmdb-state-private.h"

typedef struct
{
  GQuark (*quark) (void);
  const char *name;
} Domain;

static void
test_every_domain_has_its_name (void **state)
{
  const Domain domains[] = {
    { cmdb_cache_error_quark, "cmdb-cache-error-quark" },
    { cmdb_config_error_quark, "cmdb-config-error-quark" },
    { cmdb_workspace_error_quark, "cmdb-workspace-error-quark" },
    { cmdb_run_error_quark, "cmdb-run-error-quark" },
    { cmdb_form_error_quark, "cmdb-form-error-quark" },
    { cmdb_hydra_error_quark, "cmdb-hydra-error-quark" },
    { cmdb_option_source_error_quark, "cmdb-option-source-error-quark" },
    { cmdb_schema_error_quark, "cmdb-schema-error-quark" },
    { cmdb_yaml_error_quark, "cmdb-yaml-error-quark" },
    { cmdb_host_error_quark, "cmdb-host-error-quark" },
    { cmdb_expression_error_quark, "cmdb-expression-error-quark" },
    { cmdb_server_error_quark, "cmdb-server-error-quark" },
    { cmdb_state_error_quark, "cmdb-state-error-quark" },
  };

  (void) state;
  for (gsize i = 0; i < G_N_ELEMENTS (domains); i++)
    {
      const char *name = g_quark_to_string (domains[i].quark ());

      if (g_strcmp0 (name, domains[i].name) != 0)
        fail_msg ("error domain %s is named \"%s\"", domains[i].name, name);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_every_domain_has_its_name),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
