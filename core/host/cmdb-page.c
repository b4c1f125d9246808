#define G_LOG_DOMAIN "cmdb-host"

#include "cmdbuilder.h"

G_DEFINE_INTERFACE (CmdbPage, cmdb_page, G_TYPE_OBJECT)

static void
cmdb_page_default_init (CmdbPageInterface *iface)
{
}

void
cmdb_page_add_overrides (CmdbPage *self, CmdbContext *context, JsonObject *values,
                         GPtrArray *overrides)
{
  CmdbPageInterface *iface;

  g_return_if_fail (CMDB_IS_PAGE (self));
  g_return_if_fail (overrides != NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->add_overrides != NULL)
    iface->add_overrides (self, context, values, overrides);
}

void
cmdb_page_validate (CmdbPage *self, CmdbContext *context, JsonObject *values, GPtrArray *problems)
{
  CmdbPageInterface *iface;

  g_return_if_fail (CMDB_IS_PAGE (self));
  g_return_if_fail (problems != NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->validate != NULL)
    iface->validate (self, context, values, problems);
}

GPtrArray *
cmdb_page_list_actions (CmdbPage *self)
{
  CmdbPageInterface *iface;
  GPtrArray *actions = NULL;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->list_actions != NULL)
    actions = iface->list_actions (self);
  return actions != NULL ? actions : g_ptr_array_new_with_free_func (g_free);
}

JsonObject *
cmdb_page_run_action (CmdbPage *self, CmdbContext *context, const char *action_id,
                      JsonObject *params, GError **error)
{
  CmdbPageInterface *iface;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);
  g_return_val_if_fail (action_id != NULL, NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->run_action == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "this page has no action '%s'",
                   action_id);
      return NULL;
    }
  return iface->run_action (self, context, action_id, params, error);
}

JsonObject *
cmdb_page_get_rules (CmdbPage *self)
{
  CmdbPageInterface *iface;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  return iface->get_rules != NULL ? iface->get_rules (self) : NULL;
}
