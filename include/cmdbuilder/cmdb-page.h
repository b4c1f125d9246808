/* cmdb-page.h: the "page" extension point.
 *
 * A page (Train, Test, Predict, or a third party's) is a libpeas plugin of
 * kind page. What the host needs before loading it comes from its .plugin
 * file, so the sidebar is drawn without mapping any module:
 *   X-Kind=page
 *   X-Title=Train          sidebar title
 *   X-Order=10             sidebar position (ascending)
 *   X-Icon=rocket          icon name (optional)
 *   X-Schema=train         schema file stem: <schemas>/train.yaml or
 *                          <schemas>/command_builder_train.yaml
 *   X-Runner=train.py      runner script under <workspace>/runners/
 *   X-Suffix=true          the experiment-name suffix is offered and on by
 *                          default (optional)
 *   X-Suggestions=true     show the architectures' suggested setups (optional)
 * The module is loaded when the page is first activated. Its extension
 * implements CmdbPage; every method is optional and gets the page's
 * evaluated form values as JSON (key -> value, hidden elements absent).
 * Pages produce data, never HTML: the core renders.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "cmdb-context.h"

G_BEGIN_DECLS

#define CMDB_TYPE_PAGE (cmdb_page_get_type ())
CMDB_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (CmdbPage, cmdb_page, CMDB, PAGE, GObject)

/* The annotations of the methods, for bindings (Python pages). */
/**
 * CmdbPageInterface::add_overrides:
 * @self: the page
 * @context: the workspace
 * @values: the evaluated form values
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type utf8): the override tokens to append (empty for none),
 *   or NULL with @error set.
 */
/**
 * CmdbPageInterface::validate:
 * @self: the page
 * @context: the workspace
 * @values: the evaluated form values
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type CmdbProblem): the page's problems (empty for none), or
 *   NULL with @error set.
 */
/**
 * CmdbPageInterface::list_actions:
 * @self: the page
 *
 * Returns: (transfer full) (nullable) (element-type utf8): the action ids.
 */
/**
 * CmdbPageInterface::run_action:
 * @self: the page
 * @context: the workspace
 * @action_id: the action
 * @params: (nullable): its parameters
 * @error: return location for an error
 *
 * Returns: (transfer full): the outcome, or NULL with @error set.
 */
/**
 * CmdbPageInterface::get_rules:
 * @self: the page
 *
 * Returns: (transfer full) (nullable): the rule defaults.
 */
/**
 * CmdbPageInterface::run_action_async:
 * @self: the page
 * @context: the workspace
 * @action_id: the action
 * @params: (nullable): its parameters
 * @cancellable: (nullable): cancels the action
 * @callback: (scope async): called when it completes
 * @user_data: (closure): for @callback
 */
/**
 * CmdbPageInterface::run_action_finish:
 * @self: the page
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): the outcome, or NULL with @error set.
 */
/**
 * CmdbPageInterface::infer_values:
 * @self: the page
 * @context: the workspace
 * @values: the evaluated form values
 *
 * Returns: (transfer full) (nullable): the inferred values.
 */
struct _CmdbPageInterface
{
  GTypeInterface parent_iface;

  /* Returns (transfer full) the Hydra override tokens (char *) appended
   * after the schema's own and the preprocessing profile's; an empty array
   * for none. NULL with @error: the command gets an error naming it (NULL
   * without @error too: that is what a Python exception outside the helper
   * base gives). Arrays are returned rather than filled in so that Python
   * pages can implement it (introspection cannot fill in a caller's list). */
  GPtrArray *(*add_overrides) (CmdbPage *self, CmdbContext *context, JsonObject *values,
                               GError **error);

  /* Returns (transfer full) page-specific problems (CmdbProblem *, subject
   * = the element key they are shown under), checked after the schema's
   * validation: errors block the command, warnings do not. An empty array
   * for none; NULL (with or without @error): an error of the form. */
  GPtrArray *(*validate) (CmdbPage *self, CmdbContext *context, JsonObject *values, GError **error);

  /* (transfer full) (nullable) (element-type utf8): ids of the page's own
   * actions (Predict: "export-csv"). */
  GPtrArray *(*list_actions) (CmdbPage *self);

  /* Runs action @action_id with @params. Returns (transfer full) a JSON
   * object describing the outcome, or NULL with @error set. */
  JsonObject *(*run_action) (CmdbPage *self, CmdbContext *context, const char *action_id,
                             JsonObject *params, GError **error);

  /* (transfer full) (nullable): the page's rule defaults, {element key:
   * {rule attribute: value}} with the declarative rules of
   * docs/schema-format.md (role, name_suffix, incompatible_message, ...).
   * They apply to the elements of the page's schema that do not set that
   * attribute themselves, so a schema written for the original app gets
   * the page's rules unchanged. */
  JsonObject *(*get_rules) (CmdbPage *self);

  /* run_action without blocking the caller's main loop, for an action that
   * waits on a process or the network (Predict's converter): the server
   * calls only this form. A page implements run_action or this pair; the
   * other form is provided (a synchronous run_action is called and
   * completes at once; an _async one runs on a private main context when
   * the synchronous form is called, as the CLI does). */
  void (*run_action_async) (CmdbPage *self, CmdbContext *context, const char *action_id,
                            JsonObject *params, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
  JsonObject *(*run_action_finish) (CmdbPage *self, GAsyncResult *result, GError **error);

  /* (transfer full) (nullable): values the page infers from @values (the
   * evaluated form), {key: value}: the Test page reads a checkpoint's
   * architecture and components from the run that made it. The session
   * fills each such key the user did not set, and warns under a key the
   * user set to something else (the user's value wins). */
  JsonObject *(*infer_values) (CmdbPage *self, CmdbContext *context, JsonObject *values);
};

/**
 * cmdb_page_add_overrides:
 * @self: the page
 * @context: the workspace
 * @values: the evaluated form values
 * @error: return location for an error
 *
 * Calls the page's add_overrides (none: an empty array). "NULL without an error" (a Python
 * exception outside the helper base, or None returned) is made an error.
 *
 * Returns: (transfer full) (element-type utf8): the tokens, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_page_add_overrides (CmdbPage *self, CmdbContext *context, JsonObject *values,
                                    GError **error);
/**
 * cmdb_page_validate:
 * @self: the page
 * @context: the workspace
 * @values: the evaluated form values
 * @error: return location for an error
 *
 * Calls the page's validate (none: an empty array), as cmdb_page_add_overrides() does.
 *
 * Returns: (transfer full) (element-type CmdbProblem): the problems, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_page_validate (CmdbPage *self, CmdbContext *context, JsonObject *values,
                               GError **error);
/**
 * cmdb_page_get_rules:
 *
 * Returns: (transfer full) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_page_get_rules (CmdbPage *self);
/**
 * cmdb_page_list_actions:
 *
 * Returns: (transfer full) (element-type utf8): never NULL (empty when the page has no actions).
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_page_list_actions (CmdbPage *self);
/**
 * cmdb_page_run_action:
 *
 * Returns: (transfer full) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_page_run_action (CmdbPage *self, CmdbContext *context, const char *action_id,
                                  JsonObject *params, GError **error);
/**
 * cmdb_page_run_action_async:
 * @self: the page
 * @context: the workspace
 * @action_id: one of cmdb_page_list_actions()
 * @params: (nullable): its parameters
 * @cancellable: (nullable): cancels it
 * @callback: (scope async): called once, on the caller's main context
 * @user_data: (closure): for @callback
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_page_run_action_async (CmdbPage *self, CmdbContext *context, const char *action_id,
                                 JsonObject *params, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
/**
 * cmdb_page_run_action_finish:
 *
 * Returns: (transfer full) (nullable): as cmdb_page_run_action().
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_page_run_action_finish (CmdbPage *self, GAsyncResult *result, GError **error);
/**
 * cmdb_page_infer_values:
 *
 * Returns: (transfer full) (nullable): the page's infer_values, NULL without one.
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_page_infer_values (CmdbPage *self, CmdbContext *context, JsonObject *values);

G_END_DECLS
