// SPDX-License-Identifier: Apache-2.0
// milter.hpp - one handler per milter stage: MTA events -> policy::Session -> replies.
//
// Milter holds what every connection shares (the PolicyStore, the Logger, the
// daemon's options); the per-connection state lives in a ConnectionContext
// reached through MilterApi::context(). callbacks.cpp wires each handler into
// libmilter's smfiDesc table; unit tests call the handlers directly with a
// fake MilterApi.
//
// Call order (libmilter's): negotiate? connect helo* (envfrom envrcpt+ data?
// header* body* eom)* with abort possible inside a message, then close, which
// may also come alone (the MTA gave up before connect) and then finds no
// context. Each handler fills the Transaction (bounded by policy::Limits),
// calls the Session and turns its Verdict into a libmilter status, setting
// the reply right before a reject/tempfail status. When the Session says
// nothing is left to decide (Session::settled) after connect, HELO, MAIL or
// DATA, the handler answers SMFIS_ACCEPT: the MTA then sends no more events
// for the connection or the message (and logs the decision line there, since
// no end of message follows). Connect, HELO and MAIL are negotiated without a
// reply when no rule runs there or earlier (negotiation.hpp); their handlers
// then answer SMFIS_NOREPLY, and a failure there (an internal error, data
// over a bound) is answered at the next RCPT. Every verdict is logged and
// counted in one place, deliver() (own verdicts: on_error,
// refuse_overflow), through the connection's observability::SessionRecorder.
//
// Errors: no exception leaves a handler. An internal failure is logged and
// answered with Settings::on_error: Tempfail (451 4.3.0, at connect/HELO 421 4.3.0) or Accept
// (continue). Data over a bound tempfails the message with the reason logged.
//
// Thread contract: handlers may run concurrently for different connections;
// Milter itself is immutable once smfi_main() runs.
#pragma once

#include <libmilter/mfapi.h>
#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>

#include "codes/stage.hpp"
#include "milter/connection_context.hpp"
#include "milter/logger.hpp"
#include "milter/milter_api.hpp"
#include "milter/policy_store.hpp"
#include "observability/recorder.hpp"

namespace mv::milter {

class Milter {
  public:
    Milter(PolicyStore& store, Logger& log);
    // Before smfi_main() only: where verdicts are logged and counted (the
    // daemon's, with its metrics). By default they are logged to the Logger.
    void set_recorder(observability::Recorder& recorder) { recorder_ = &recorder; }

    sfsistat negotiate(MilterApi& api, unsigned long f0, unsigned long f1, unsigned long f2,
                       unsigned long f3, unsigned long* pf0, unsigned long* pf1, unsigned long* pf2,
                       unsigned long* pf3);
    sfsistat connect(MilterApi& api, const char* hostname, const sockaddr* hostaddr);
    sfsistat helo(MilterApi& api, const char* name);
    sfsistat envfrom(MilterApi& api, char** argv);
    sfsistat envrcpt(MilterApi& api, char** argv);
    sfsistat data(MilterApi& api);
    sfsistat header(MilterApi& api, const char* name, const char* value);
    sfsistat body(MilterApi& api, const unsigned char* chunk, std::size_t len);
    sfsistat eom(MilterApi& api);
    sfsistat abort(MilterApi& api);
    sfsistat close(MilterApi& api);

  private:
    template <typename F>
    sfsistat guarded(MilterApi& api, codes::Stage stage, std::optional<sfsistat> quiet,
                     const char* what, F&& f);
    static sfsistat quiet_status(MilterApi& api, unsigned long nr_bit);
    static std::optional<sfsistat> quiet_stage(MilterApi& api, codes::Stage stage);
    sfsistat quiet_result(ConnectionContext& c, codes::Stage stage, sfsistat s);
    sfsistat on_error(MilterApi& api, codes::Stage stage);
    ConnectionContext& context(MilterApi& api);
    bool read_macros(MilterApi& api, ConnectionContext& c, codes::Stage stage);
    sfsistat refuse_overflow(MilterApi& api, ConnectionContext& c, codes::Stage stage);
    // quiet: a stage negotiated without a reply; nothing is sent, a refusal
    // only comes back as its status for quiet_result().
    sfsistat deliver(MilterApi& api, ConnectionContext& c, const policy::Verdict& v,
                     codes::Stage stage, bool quiet = false);
    void apply_end_of_message(MilterApi& api, ConnectionContext& c, const policy::Verdict& v);
    sfsistat send_refusal(MilterApi& api, ConnectionContext& c, const codes::Reply& reply,
                          bool reject);

    // The MacroPlan of the policy current at the last connection: one per
    // policy (a reload makes the next connection compute a new one).
    std::shared_ptr<const MacroPlan> plan_for(const policy::PolicyPtr& p);

    PolicyStore& store_;
    Logger& log_;
    observability::Recorder own_recorder_{log_};
    observability::Recorder* recorder_ = &own_recorder_;
    std::mutex plan_mutex_;
    std::weak_ptr<const policy::Policy> plan_policy_;  // never keeps a policy alive
    std::shared_ptr<const MacroPlan> plan_;
};

}  // namespace mv::milter
