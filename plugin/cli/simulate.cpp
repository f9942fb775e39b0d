// simulate.cpp - PLACEHOLDER so the program links while this part is written; replaced in this session.
#include "cli/commands.hpp"

namespace mv::cli {

int simulate_main(const Args&, std::ostream&, std::ostream& err) {
    err << "milter-verdict: simulate is not implemented yet\n";
    return 1;
}

}  // namespace mv::cli
