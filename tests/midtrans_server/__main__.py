from tests.midtrans_server import main

main()
