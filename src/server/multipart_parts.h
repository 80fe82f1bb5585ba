#pragma once
// Reading a request body through cpp-httplib's content reader: a multipart/form-data body's parts
// into `files`, any other body into `body`. POST /v1/images/edits reads its body this way (see
// routes_images.cpp for why), and the multipart fuzzer (fuzz/multipart_fuzzer.cpp) drives the
// same code through cpp-httplib's parser.
namespace httplib {
struct Request;
class ContentReader;
}

namespace pictor::server {

// `full` starts as a copy of `req` and receives its body. False when cpp-httplib's reader gave
// up: too large, a broken connection, or a multipart body it rejects (res.status 400 then).
bool read_request_body(const httplib::Request& req, const httplib::ContentReader& reader, httplib::Request& full);

}  // namespace pictor::server
