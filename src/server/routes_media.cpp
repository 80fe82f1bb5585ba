// GET|HEAD|DELETE /v1/media/{id}: stored outputs (and uploaded inputs). Expired or deleted media
// answer 410 Gone; media of another key answer 404.
#include "server/context.h"

namespace pictor::server {

namespace {

bool load_owned(ServerContext& ctx, const std::string& id, const Caller& caller, store::MediaRecord& rec,
                httplib::Response& res) {
  auto m = ctx.store->get_media(id);
  if (!m.is_ok() || !can_see_owner(ctx, m->key_id, caller)) {
    send_error(res, ApiError{404, "No media with id " + id, "invalid_request_error", "id", "not_found"});
    return false;
  }
  rec = *m;
  const bool expired = rec.expires_at_ms != 0 && rec.expires_at_ms <= store::now_ms();
  if (rec.deleted || expired) {
    send_error(res, ApiError{410, "Media " + id + (rec.deleted && !expired ? " was deleted" : " has expired"),
                             "invalid_request_error", "id", "gone"});
    return false;
  }
  return true;
}

}  // namespace

void register_media_routes(httplib::Server& svr, ServerContext& ctx) {
  const std::string pattern = R"(/v1/media/([A-Za-z0-9_\-]+))";
  add_route(svr, ctx, "GET", pattern, "/v1/media/{id}", true,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              store::MediaRecord rec;
              if (!load_owned(ctx, req.matches[1], caller, rec, res)) return;
              auto data = ctx.store->get_media_data(rec.id);
              if (!data.is_ok()) {
                return send_error(res, ApiError{410, "Media " + rec.id + " is no longer stored", "invalid_request_error", "id", "gone"});
              }
              res.status = 200;
              res.set_header("Cache-Control", "private, max-age=86400, immutable");
              if (rec.expires_at_ms) res.set_header("X-Expires-At", std::to_string(rec.expires_at_ms / 1000));
              res.set_content(*data, rec.content_type);
            });
  add_route(svr, ctx, "DELETE", pattern, "/v1/media/{id}", true,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              store::MediaRecord rec;
              if (!load_owned(ctx, req.matches[1], caller, rec, res)) return;
              Status st = ctx.store->delete_media(rec.id);
              if (!st.is_ok()) return send_error(res, error_from_status(st));
              send_json(res, 200, {{"id", rec.id}, {"object", "media"}, {"deleted", true}});
            });
}

}  // namespace pictor::server
