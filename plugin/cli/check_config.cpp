// check_config.cpp - PLACEHOLDER so the program links while this part is written; replaced in this session.
#include "cli/commands.hpp"

namespace mv::cli {

int check_config_main(const Args&, std::ostream&, std::ostream& err) {
    err << "milter-verdict: check-config is not implemented yet\n";
    return 1;
}

}  // namespace mv::cli
