// explain.cpp - PLACEHOLDER so the program links while this part is written; replaced in this session.
#include "cli/commands.hpp"

namespace mv::cli {

int explain_main(const Args&, std::ostream&, std::ostream& err) {
    err << "milter-verdict: explain is not implemented yet\n";
    return 1;
}

}  // namespace mv::cli
