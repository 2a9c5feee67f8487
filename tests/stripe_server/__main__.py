from tests.stripe_server import main

main()
