/* casevault serve — request bodies (functions in http.h: sv__body_*):
 * urlencoded and multipart forms through MHD's post processor, file parts
 * streamed into the work directory, JSON bodies for the API; all bounded.
 * Thread-safety: a body is one request's, read on its connection thread. */
#ifndef CV_SERVE_FORM_H
#define CV_SERVE_FORM_H

#include "http.h"

#endif
