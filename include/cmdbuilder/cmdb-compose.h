/* cmdb-compose.h: will this command compose? A static Hydra composition check.
 *
 * cmdb_compose() does what Hydra 1.3's compose() does with a primary config
 * and a list of command-line overrides, without running anything: it reads
 * the workspace's config tree through the cache (each file parsed once while
 * unchanged), builds the defaults list (_self_, nested and absolute groups,
 * `@package` headers, `group@package` entries, `override` entries,
 * `optional`, `null` and `???` choices, interpolations of group choices),
 * knows Hydra's own hydra/ groups, applies group choices (`g=opt`,
 * `+g=opt`, `~g`) and then value overrides under struct rules (`a.b=v` must
 * exist, `+a.b=v` must not, `++a.b=v` either). The verdict agrees with
 * Hydra 1.3.2 on the reference vectors (tests/compose, docs/compose-check.md).
 *
 * A separate resolve stage then reads every interpolation as OmegaConf
 * would on first access: one that points nowhere or forms a cycle is
 * reported ("composes, but fails on first read"); resolver calls
 * (`${now:...}`, `${oc.env:...}`, `${hydra:...}`) are only known at run time
 * and are not flagged.
 *
 * Problems are phrased as Hydra phrases them (first line as Hydra prints it
 * first), each with a hint: "add '+'", "did you mean 'trainer.max_epochs'?",
 * "options of data: canonical, default, ...".
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cmdb-cache.h"
#include "cmdb-context.h"
#include "cmdb-form.h"

G_BEGIN_DECLS

typedef struct _CmdbComposeResult CmdbComposeResult;

/**
 * cmdb_compose: (skip)
 *
 * Composes @config_name (a path below @config_dir without `.yaml`, e.g. "train" or "db/mysql")
 * with @overrides (NULL-terminated argv tokens as Hydra receives them, after shell word
 * splitting). Never fails: a command that does not compose gives a result whose ok is FALSE.
 * Returns (transfer full).
 */
CMDB_AVAILABLE_IN_ALL
CmdbComposeResult *cmdb_compose (CmdbCache *cache, const char *config_dir, const char *config_name,
                                 const char *const *overrides);
/**
 * cmdb_compose_result_free:
 * @result: (transfer full): what to free
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_compose_result_free (CmdbComposeResult *result);

/**
 * cmdb_compose_result_get_ok:
 *
 * TRUE when Hydra would compose the config.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_compose_result_get_ok (const CmdbComposeResult *result);
/**
 * cmdb_compose_result_get_resolve_ok:
 *
 * TRUE when it composed and every interpolation resolves.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_compose_result_get_resolve_ok (const CmdbComposeResult *result);
/**
 * cmdb_compose_result_get_error_class:
 *
 * Returns: (transfer none) (nullable): the first problem's Hydra exception class
 *   ("ConfigCompositionException", "MissingConfigException", ...) and text.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_compose_result_get_error_class (const CmdbComposeResult *result);
/**
 * cmdb_compose_result_get_message:
 * @result: the verdict
 *
 * Returns: (transfer none) (nullable): the first problem's text, as Hydra words it.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_compose_result_get_message (const CmdbComposeResult *result);
/**
 * cmdb_compose_result_get_override:
 *
 * Returns: (transfer none) (nullable): the override the first problem is about.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_compose_result_get_override (const CmdbComposeResult *result);
/**
 * cmdb_compose_result_get_hint:
 *
 * Returns: (transfer none) (nullable): what to do about the first problem.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_compose_result_get_hint (const CmdbComposeResult *result);
/**
 * cmdb_compose_result_get_keys:
 *
 * Returns: (transfer none) (nullable) (element-type utf8): the sorted leaf keys of the composed config without `hydra`
 *   (`a.b`, list items as `a[0]`), NULL when it did not compose.
 */
CMDB_AVAILABLE_IN_ALL
const GPtrArray *cmdb_compose_result_get_keys (const CmdbComposeResult *result);
/**
 * cmdb_compose_result_to_json:
 *
 * Returns: (transfer full): the verdict as JSON: {ok, config, problems: [{override, message, hint,
 *   error_class}], resolve: {ok, problems: [{key, value, message, error_class}]}, choices}.
 */
CMDB_AVAILABLE_IN_ALL
JsonNode *cmdb_compose_result_to_json (const CmdbComposeResult *result);

/**
 * cmdb_compose_config_name_for_page:
 *
 * The primary config a page's runner composes: the page id (train -> train.yaml); `cmdbuilder
 * compose --config-name` names another. (transfer full)
 *
 * Returns: (transfer full):
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_compose_config_name_for_page (CmdbContext *context, const char *page_id);

/**
 * cmdb_compose_has_config:
 *
 * TRUE when @config_dir holds @config_name.yaml (looked up through the cache): without a primary
 * config there is nothing to check against.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_compose_has_config (CmdbCache *cache, const char *config_dir,
                                  const char *config_name);

/**
 * cmdb_compose_argv: (skip)
 * @argv: (element-type utf8): the command's words
 *
 * Composes the Hydra overrides of @argv: the words after the workspace's launcher and the runner
 * script (@n_head words), against @config_name in the workspace's configs directory. (transfer
 * full)
 */
CMDB_AVAILABLE_IN_ALL
CmdbComposeResult *cmdb_compose_argv (CmdbContext *context, const char *config_name,
                                      GPtrArray *argv, guint n_head);

/**
 * cmdb_compose_command: (skip)
 *
 * Composes @command's overrides (constant ones first). (transfer full)
 */
CMDB_AVAILABLE_IN_ALL
CmdbComposeResult *cmdb_compose_command (CmdbContext *context, const char *config_name,
                                         CmdbCommand *command);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbComposeResult, cmdb_compose_result_free)

G_END_DECLS
